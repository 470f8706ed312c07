"""Users (admins only; with the sign-in locks to lift) and the audit log. A new password, a new role, removal and "sign out everywhere" each
end every session of that user."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from wechat_pub.console.base import bp, deployment, record, refuse, requires, role_words
from wechat_pub.console.words import failure
from wechat_pub.errors import WechatPubError
from wechat_pub.roles import ROLES


@bp.get("/users")
@requires("admin")
def users():
    return _users_page()


def _users_page(typed: dict | None = None):
    """The Users page; ``typed``: what the add form held when it was refused (name and role, never a password)."""
    people = deployment().services.users.all()
    names = {user.name.lower() for user in people}
    # a locked name that is nobody's is not shown: it may be a password typed into the name field
    locks = [lock for lock in deployment().services.login_throttle.locks() if lock.kind == "address" or lock.who in names]
    return render_template("users.html", users=people, roles=ROLES, locks=locks, typed=typed or {})


def change_users(change, action: str, detail, done):
    """Make one change to the users from the Users page: its error shown as it is, or the change audited
    (``detail``) and told (``done``). Either may be a function of what ``change()`` returned."""
    try:
        result = change()
    except WechatPubError as exc:
        flash(failure(_("Not changed."), exc), "error")
    else:
        record(action, detail=detail(result) if callable(detail) else detail)
        flash(done(result) if callable(done) else done, "ok")
    return redirect(url_for("console.users"))


def not_yourself(name: str, refusal: str) -> None:
    if name == current_user.name:
        refuse(400, refusal)


@bp.post("/users")
@requires("admin")
def add_user():
    name, role = request.form.get("name", "").strip(), request.form.get("role", "")
    try:
        deployment().services.users.add(name, role, request.form.get("password", ""))
    except WechatPubError as exc:  # (the form comes back as typed, but for the password)
        flash(failure(_("Not changed."), exc), "error")
        return _users_page({"name": name[:200], "role": role}), 400
    record("user-add", detail=f"{name} ({role})")
    flash(_("%(name)s can sign in now, as %(role)s.", name=name, role=role_words(role)), "ok")
    return redirect(url_for("console.users"))


@bp.post("/users/<name>/remove")
@requires("admin")
def remove_user(name: str):
    not_yourself(name, _("You cannot remove yourself; ask another admin."))
    return change_users(lambda: deployment().services.users.remove(name), "user-remove", name,
                        _("%(name)s was removed.", name=name))


@bp.post("/users/<name>/password")
@requires("admin")
def set_password(name: str):
    password = request.form.get("password", "")
    return change_users(lambda: deployment().services.users.set_password(name, password), "user-password", name,
                        _("%(name)s's password was changed.", name=name))


@bp.post("/users/<name>/role")
@requires("admin")
def set_role(name: str):
    not_yourself(name, _("You cannot change your own role; ask another admin."))
    role = request.form.get("role", "")
    return change_users(lambda: deployment().services.users.set_role(name, role), "user-role", f"{name} ({role})",
                        _("%(name)s is %(role)s now, and signs in again.", name=name, role=role_words(role)))


@bp.post("/users/<name>/sign-out")
@requires("admin")
def sign_out_user(name: str):
    return change_users(lambda: deployment().services.users.end_sessions(name), "sign-out-everywhere",
                        lambda ended: f"{name} ({ended} session(s))",
                        lambda ended: _("%(name)s was signed out everywhere (%(ended)s session(s) ended).", name=name,
                                        ended=ended))


@bp.post("/users/locks/lift")
@requires("admin")
def lift_lock():
    """Let a locked name or address sign in again at once (the colleague found their password)."""
    key = request.form.get("key", "")
    if not key.startswith(("user:", "address:")):
        refuse(400, _("Choose a lock from the list."))
    if deployment().services.login_throttle.lift(key):
        record("sign-in-unlock", detail=key)
        flash(_("%(who)s can sign in again.", who=key.split(":", 1)[1]), "ok")
    return redirect(url_for("console.users"))


# Wrong passwords (with the address they came from), locks, changes to users and sessions ended everywhere (often
# after a suspected break-in): an admin's to see. The rest of the log is the team's work, which everyone sees.
ADMINS_ONLY = frozenset({"sign-in-failed", "sign-in-locked", "sign-in-unlock", "user-add", "user-remove",
                         "user-password", "user-role", "sign-out-everywhere"})


@bp.get("/audit")
def audit():
    names = {site.appid: site.account_name or site.name for site in deployment().sites.values()}
    hidden = frozenset() if current_user.may("admin") else ADMINS_ONLY
    return render_template("audit.html", entries=deployment().services.audit.recent(300, but=hidden), accounts=names,
                           hidden=bool(hidden))
