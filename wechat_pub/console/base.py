"""What every console page shares: the blueprint the views join, CSRF protection, the signed-in user, the
deployment of this app, the account of the URL, roles, and the audit log. Below the views' modules, which import
it (the package's :func:`~wechat_pub.console.init_console` imports them)."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, g
from flask_babel import gettext as _
from flask_login import UserMixin, current_user
from flask_wtf.csrf import CSRFProtect

bp = Blueprint("console", "wechat_pub.console", url_prefix="/console", template_folder="templates",
               static_folder="static")
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
        refuse(404, _("There is no account %(name)s.", name=account))
    g.site = sites[account]
    return g.site


def requires(role: str):
    """A view for ``role`` (or a stronger one): others get 403 with what they may not do."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.may(role):
                refuse(403, _("This needs an %(role)s; you are an %(yours)s. Ask an admin.", role=role_words(role),
                              yours=role_words(current_user.role)))
            return view(*args, **kwargs)

        return wrapped

    return decorate


def refuse(code: int, words: str):
    """Stop the request with ``code`` and ``words`` (in the person's language) on the console's error page."""
    try:
        abort(code, words)
    except Exception as error:
        error.console_words = True  # said for people: the error page shows it
        raise


def role_words(role: str) -> str:
    """A role as the team says it (the glossary's words)."""
    return {"editor": _("editor"), "approver": _("approver"), "admin": _("admin")}.get(role, role)


def record(action: str, issue: int = 0, detail: str = "", site=None) -> None:
    """Into the audit log: who (the signed-in user) did what, to which account and issue."""
    site = site or g.get("site")
    deployment().services.audit.record(current_user.name, action, site.appid if site else "", issue, detail)
