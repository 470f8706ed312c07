"""Signing in and out. Every console page but these needs a signed-in user; with no user yet, the sign-in page
says how to create the first one and opens nothing. After 5 wrong passwords for a name (or
``console.sign_in_limit_per_address`` from one address: an office shares one), further attempts for it get 429,
told which is locked and when to try again; failures and locks go into the audit log, and an admin can lift a lock
(:mod:`.admin`). Signing in starts a new session (new cookie, new CSRF token:
nothing set before sign-in survives it); signing out ends it on the server; "sign out everywhere" ends every
session of the user."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from wechat_pub.console.base import SignedIn, bp, csrf, deployment, record
from wechat_pub.console.words import failure
from wechat_pub.errors import WechatPubError
from wechat_pub.urls import console_target

MAX_NAME = 64  # a user's name is at most this long (users.name); a longer one is nobody's
OPEN = {"console.login", "console.static", "console.switch_language"}  # the switch works before sign-in


@bp.before_request
def guard():
    """Closed to anyone not signed in; every state-changing request carries the form's CSRF token."""
    if request.method == "POST":
        csrf.protect()  # 400 without a valid token
    if request.endpoint not in OPEN and not current_user.is_authenticated:
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return {"error": _("Sign in first.")}, 401
        return redirect(url_for("console.login", next=request.full_path if request.method == "GET" else None))
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    users = deployment().services.users
    if users.count() == 0:
        return render_template("login.html", no_users=True), (503 if request.method == "POST" else 200)
    if request.method == "GET":
        return render_template("login.html")
    name = request.form.get("name", "").strip()
    throttle = deployment().services.login_throttle
    if len(name) > MAX_NAME:  # nobody's name (a pasted text?): counted against the address, never stored
        name = ""
    keys = throttle.keys(name, request.remote_addr or "")
    lock = throttle.blocked(keys)
    if lock is not None:
        return _locked_page(lock, name)
    attempt = throttle.attempt(keys)  # (counted before the password's check: attempts sent at once all count)
    if attempt.refused is not None:
        return _locked_page(attempt.refused, name)
    user = users.verify(name, request.form.get("password", ""))
    if user is None:
        refused(name, throttle.failed(attempt))
        return render_template("login.html", error=_("Wrong name or password."), name=name), 401
    throttle.succeeded(keys)
    start_session(user)
    record("sign-in")
    return redirect(console_target(request.args.get("next")) or url_for("console.home"))


def _locked_page(lock, name: str):
    wait = lock.until - deployment().clock.time()
    page = render_template("login.html", error=locked_message(lock, wait), name=name)
    return page, 429, {"Retry-After": str(int(wait) + 1)}


def locked_message(lock, wait: float) -> str:
    """Why this sign-in waits, in the person's language: a locked name says so (and that others can sign in)."""
    minutes = max(1, round(wait / 60))
    if lock.kind == "user":
        return _("Too many wrong passwords for this name: it is locked for about %(minutes)s minute(s). Others can "
                 "still sign in, and an admin can lift the lock on the Users page.", minutes=minutes)
    return _("Too many wrong passwords from this address: sign-in from it waits about %(minutes)s minute(s). An "
             "admin who is signed in can lift the lock on the Users page.", minutes=minutes)


def refused(name: str, locks) -> None:
    """A wrong password, and the locks it set, into the audit log: the name only when it is a user's (someone who
    typed their password into the name field must not find it in the log), never a password."""
    audit, address = deployment().services.audit, request.remote_addr or ""
    who = name if name and deployment().services.users.get(name) is not None else ""
    audit.record(who, "sign-in-failed", detail=f"from {address}" if who else f"unknown name, from {address}")
    for lock in locks:
        what = f"the name {who or '(unknown)'}" if lock.kind == "user" else f"the address {lock.who}"
        audit.record(who, "sign-in-locked", detail=f"{what}, for {int(lock.until - deployment().clock.time()) // 60} "
                                                   f"minutes")


def start_session(user) -> None:
    """A fresh session for ``user``: whatever the browser held before (a planted cookie, its CSRF token) is
    dropped, so nobody who knew the old cookie shares the new one."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's per-request copy: the next form gets a new token
    login_user(SignedIn(user, deployment().services.sessions.start(user.name)))


@bp.post("/logout")
@login_required
def logout():
    record("sign-out")
    deployment().services.sessions.end(current_user.token)
    logout_user()
    session.clear()
    return redirect(url_for("console.login"))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    """End every session of the signed-in user: other browsers, a lost laptop, a cookie someone copied."""
    ended = deployment().services.users.end_sessions(current_user.name)
    record("sign-out-everywhere", detail=f"{current_user.name} ({ended} session(s))")
    logout_user()
    session.clear()
    flash(_("Signed out everywhere (%(ended)s session(s) ended).", ended=ended), "ok")
    return redirect(url_for("console.login"))


@bp.post("/profile/password")
@login_required
def change_own_password():
    """A person's own new password: the current one asked first (a wrong one counts as at sign-in, locks and all),
    then every session of theirs ends, this one too, as an admin's change does."""
    services, back = deployment().services, redirect(url_for("console.profile"))
    throttle = services.login_throttle
    keys = throttle.keys(current_user.name, request.remote_addr or "")
    lock = throttle.blocked(keys)
    attempt = throttle.attempt(keys) if lock is None else None
    lock = lock or attempt.refused
    if lock is not None:
        flash(locked_message(lock, lock.until - deployment().clock.time()), "error")
        return back
    if services.users.verify(current_user.name, request.form.get("current", "")) is None:
        refused(current_user.name, throttle.failed(attempt))
        flash(_("Not changed: the current password is wrong."), "error")
        return back
    throttle.succeeded(keys)
    if request.form.get("password", "") != request.form.get("again", ""):
        flash(_("Not changed: the two new passwords are not the same."), "error")
        return back
    try:
        services.users.set_password(current_user.name, request.form.get("password", ""))
    except WechatPubError as exc:
        flash(failure(_("Not changed."), exc), "error")
        return back
    record("user-password", detail=current_user.name)
    logout_user()
    session.clear()
    flash(_("Your password is changed, and you are signed out everywhere: sign in with the new one."), "ok")
    return redirect(url_for("console.login"))


@bp.get("/")
def home():
    account = request.args.get("account")
    return redirect(url_for("console.issues", account=account if account in deployment().sites
                            else deployment().default.name))
