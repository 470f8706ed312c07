"""The marketing team's console at ``/console/``: issues and where they stand, import, an editor with a live
phone preview, approval, a calendar to schedule on, push and publish, what followers ask, users and an audit
log. Served by the same process as the webhook (:func:`init_console`), on the same state; every account of
the deployment is selectable (``/console/<account>/...``).

Only Flask, Jinja templates and the files in ``console/static`` (no asset from another origin). Signed-in
sessions (Flask-Login) are kept server-side (:mod:`wechat_pub.state.sessions`): the HttpOnly, SameSite cookie
(Secure when configured) carries only a random token, which opens nothing once its session ended; every form
carries a CSRF token (Flask-WTF); passwords are argon2 hashes; wrong passwords are throttled. Modules:
:mod:`.base` (what every page shares: the blueprint, the signed-in user, roles, the audit), :mod:`.auth` (sign
in and out), :mod:`.issues` (list, page, import, actions), :mod:`.editor`, :mod:`.calendar`, :mod:`.followers`,
:mod:`.admin` (users, audit).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager
from werkzeug.routing import IntegerConverter

from wechat_pub.console.base import SignedIn, bp, csrf, role_words
from wechat_pub.console.dates import init_dates, page_zone
from wechat_pub.console.errors import init_errors
from wechat_pub.console.events import init_events
from wechat_pub.console.i18n import init_i18n
from wechat_pub.console.words import init_words
from wechat_pub.limits import MAX_ISSUE_NUMBER
from wechat_pub.urls import safe_link


class IssueNumber(IntegerConverter):
    """An issue number in a console URL: 1 to MAX_ISSUE_NUMBER (a larger one is a 404, not an overflow in the
    database)."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ISSUE_NUMBER)


class ConsoleSessions(SecureCookieSessionInterface):
    """Session cookies for the console's pages only: the webhook and /healthz neither read nor write one (a
    follower's message has no use for it, and it would cost every message a signature check)."""

    def open_session(self, app: Flask, request):
        if not request.path.startswith("/console"):
            return None  # Flask's null session, never saved
        return super().open_session(app, request)


def init_console(app: Flask, deployment) -> None:
    """Serve the console on ``app``: sessions, CSRF for the console's forms only (WeChat's webhook posts carry
    no token), sign-in, and the pages."""
    app.session_interface = ConsoleSessions()
    app.secret_key = deployment.services.console_secret()
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=deployment.secure_cookies, PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
                      WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=None)
    csrf.init_app(app)
    init_i18n(app, deployment.cfg["console.language"])
    logins = LoginManager(app)
    logins.login_view = "console.login"
    logins.login_message = None  # the sign-in page says what it is for

    @logins.user_loader
    def load(token: str):
        """Every request's one check: the cookie's token must open a live session of an existing user."""
        name = deployment.services.sessions.user_of(token)
        user = deployment.services.users.get(name) if name else None
        return SignedIn(user, token) if user else None

    init_dates(app)
    init_errors(app)
    init_words(app)
    init_events(app)
    app.add_template_global(lambda: page_zone().key, "page_zone_key")
    app.add_template_global(role_words, "role_name")
    app.add_template_global(lambda: list(deployment.sites.values()), "config_sites")
    app.add_template_filter(safe_link, "safe_link")  # every link to an address from outside goes through it

    from wechat_pub.console import admin, analytics, auth, calendar, editor, followers, issues, reach  # noqa: F401 (views join bp)

    app.url_map.converters["issue"] = IssueNumber
    app.register_blueprint(bp)
