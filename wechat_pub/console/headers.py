"""The security headers of every console response (issue 21, item 4): pages, static files, and the 403, 404
and 500 answers alike, so that no page of the console can be framed by another site, run a script that is not
one of its own files, or be sniffed as another type.

One function decides (:func:`security_headers`), registered on the whole app for every path under
``/console`` (an after-request hook of the blueprint would miss the 404s that match no route of it).

The policy, and why:

- ``script-src 'self'``: the console's only script is ``console/static/console.js``; no inline script and no
  inline event handler runs, so markup that slipped through escaping cannot run either.
- ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``: no page may be framed, not even by the console
  itself. The editor's phone preview is an ``<iframe srcdoc>`` filled by the console's script, not a page
  loaded by URL, so it is neither blocked by DENY nor needs SAMEORIGIN; it inherits the editor's policy, and
  its sandbox (no ``allow-scripts``) keeps the article's HTML from running anything.
- ``style-src 'self'``, and ``'unsafe-inline'`` on the editor's page only: the rendered article in the preview
  is inline styles by design (WeChat keeps nothing else), and a srcdoc frame is held to its parent's policy.
  No script can run there, so inline styles can at most restyle the page.
- ``img-src 'self' data:``: the preview embeds the article's images as ``data:`` URIs; nothing is fetched from
  another host (an image URL in an imported article would tell its owner who opened the editor, and when).
- ``object-src 'none'``, ``base-uri 'none'``, ``form-action 'self'``: no plugins, no ``<base>`` to re-point
  relative links, forms post to the console only.
- ``Strict-Transport-Security`` only with ``console.secure_cookies`` (the console is then behind HTTPS; sent
  over plain HTTP the header would be ignored, or would lock out a console that has no HTTPS yet).
"""

from __future__ import annotations

from flask import Flask, Response, request

EDITOR_PAGES = {"console.edit", "console.save"}  # the pages with the live preview (inline styles inside)
HSTS_SECONDS = 365 * 86400

_POLICY = ("default-src 'self'", "script-src 'self'", "style-src 'self'{styles}", "img-src 'self' data:",
           "font-src 'self'", "connect-src 'self'", "frame-src 'self'", "child-src 'self'", "object-src 'none'",
           "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'")


def content_security_policy(inline_styles: bool) -> str:
    return "; ".join(_POLICY).format(styles=" 'unsafe-inline'" if inline_styles else "")


def security_headers(response: Response, endpoint: str | None, https_only: bool) -> Response:
    """``response`` with the console's security headers (see the module's docstring for each)."""
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(endpoint in EDITOR_PAGES)
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if https_only:
        headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
    return response


def init_headers(app: Flask, https_only: bool) -> None:
    """Every response under ``/console`` gets the security headers, whichever view or error made it."""

    @app.after_request
    def add_console_headers(response: Response) -> Response:
        if request.path == "/console" or request.path.startswith("/console/"):
            security_headers(response, request.endpoint, https_only)
        return response
