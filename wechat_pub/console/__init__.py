"""The marketing team's console at ``/console/``: issues and where they stand, import, an editor with a live
phone preview, approval, a calendar to schedule on, push and publish, what followers ask, users and an audit
log. Served by the same process as the webhook (:func:`init_console`), on the same state; every account of
the deployment is selectable (``/console/<account>/...``).

Only Flask, Jinja templates and the files in ``console/static`` (no asset from another origin). Signed-in
sessions (Flask-Login) are kept server-side (:mod:`wechat_pub.state.sessions`): the HttpOnly, SameSite cookie
(Secure when configured) carries only a random token, which opens nothing once its session ended; every form
carries a CSRF token (Flask-WTF); passwords are argon2 hashes; wrong passwords are throttled. Modules: :mod:`.auth` (sign in and out,
roles), :mod:`.issues` (list, page, editor, import, actions), :mod:`.calendar`, :mod:`.followers`,
:mod:`.admin` (users, audit).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from datetime import timedelta
from functools import wraps

from flask import Blueprint, Flask, abort, current_app, g
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect

from wechat_pub.urls import safe_link

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static")
csrf = CSRFProtect()


class SignedIn(UserMixin):
    """The user of this request, through one of their sessions (``token``: what the cookie carries)."""

    def __init__(self, user, token: str):
        self.user = user
        self.name = user.name
        self.role = user.role
        self.token = token

    def get_id(self) -> str:
        return self.token  # Flask-Login keeps this in the cookie: the session's token, never the user's name

    def may(self, role: str) -> bool:
        return self.user.may(role)


def deployment():
    return current_app.extensions["wechat_pub.deployment"]


def site_of(account: str):
    """The account of the URL (404 when there is none of that name)."""
    sites = deployment().sites
    if account not in sites:
        abort(404, f"No account {account!r}.")
    g.site = sites[account]
    return g.site


def requires(role: str):
    """A view for ``role`` (or a stronger one): others get 403 with what they may not do."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.may(role):
                abort(403, f"This needs the role {role!r}; you are {current_user.role!r}. Ask an admin.")
            return view(*args, **kwargs)

        return wrapped

    return decorate


def record(action: str, issue: int = 0, detail: str = "", site=None) -> None:
    """Into the audit log: who (the signed-in user) did what, to which account and issue."""
    site = site or g.get("site")
    deployment().services.audit.record(current_user.name, action, site.appid if site else "", issue, detail)


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
    logins = LoginManager(app)
    logins.login_view = "console.login"
    logins.login_message = "Sign in to use the console."

    @logins.user_loader
    def load(token: str):
        """Every request's one check: the cookie's token must open a live session of an existing user."""
        name = deployment.services.sessions.user_of(token)
        user = deployment.services.users.get(name) if name else None
        return SignedIn(user, token) if user else None

    zone = zoneinfo.ZoneInfo(deployment.timezone)
    app.add_template_filter(lambda at: dt.datetime.fromtimestamp(at, zone).strftime("%Y-%m-%d %H:%M"), "when")
    app.add_template_global(lambda: list(deployment.sites.values()), "config_sites")
    app.add_template_filter(safe_link, "safe_link")  # every link to an address from outside goes through it

    from wechat_pub.console import admin, auth, calendar, followers, issues  # noqa: F401 (their views join bp)

    app.register_blueprint(bp)
