"""The console's error pages (403, 404, 400 and a form's failed CSRF check, 429, 500): in the console's frame, in
the person's language, each saying what happened and offering a way back. The webhook's errors stay plain text
(WeChat shows nothing of them). Also the favicon, so no page asks for a file that is not there."""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request, send_from_directory
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
STATIC = __file__.rsplit("/", 1)[0] + "/static"


def is_console(path: str) -> bool:
    return path == "/console" or path.startswith("/console/")


def _headline(code: int) -> str:
    """What happened, in words, for each error a person may meet."""
    return {400: _("The console could not take this request."),
            403: _("You may not do this."),
            404: _("This page is not here."),
            405: _("This page cannot be used that way."),
            413: _("The file is too large."),
            429: _("Too many tries: wait a moment."),
            500: _("The console failed on this request.")}.get(code, _("Something went wrong."))


def error_page(code: int, detail: str = "") -> Response:
    """The page for ``code``; plain text if even the page fails (the frame needs the database)."""
    try:
        page = render_template("error.html", code=code, headline=_headline(code), detail=detail)
    except Exception:  # the frame itself failed: say so plainly rather than fail again
        log.exception("the console's error page failed")
        page = f"{code}: {_headline(code)}"
    return Response(page, status=code, content_type="text/html; charset=utf-8")


def http_error(error: HTTPException):
    """Every HTTP error: the console's page under /console, the plain text the webhook always answered elsewhere."""
    if not is_console(request.path):
        return Response(error.description or error.name, status=error.code, content_type="text/plain")
    if isinstance(error, CSRFError):
        return error_page(400, _("The form had expired (or came from another site). Go back, reload the page, "
                                 "and try again."))
    detail = error.description if getattr(error, "console_words", False) else ""
    return error_page(error.code or 500, detail)


def failed() -> Response:
    """A console request that raised: the log has why; the person gets the console's 500 page."""
    log.exception("console page failed: %s", request.path)
    return error_page(500, _("The error is in the service's log. Try again, and tell your admin if it keeps "
                             "failing."))


def init_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)

    @app.get("/favicon.ico")
    def favicon():
        return send_from_directory(STATIC, "favicon.ico", max_age=86400)


def init_away(app: Flask) -> None:
    """While the state database was away at start: every console address answers 503 with a page in the console's
    look (both languages: whose choice it is lives in that database), which says what to do and offers a retry."""
    from pathlib import Path

    from flask import render_template_string

    page = (Path(__file__).parent / "templates" / "away.html").read_text(encoding="utf-8")

    @app.get("/console/static/<path:name>")
    def console_static_away(name: str):
        return send_from_directory(STATIC, name, max_age=3600)

    @app.route("/console/", defaults={"rest": ""})
    @app.route("/console/<path:rest>")
    def console_away(rest: str):
        return Response(render_template_string(page), status=503, content_type="text/html; charset=utf-8")

    @app.get("/favicon.ico")
    def favicon_away():
        return send_from_directory(STATIC, "favicon.ico", max_age=86400)
