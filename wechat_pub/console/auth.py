"""Signing in and out. Every console page but these needs a signed-in user; with no user yet, the sign-in page
says how to create the first one and opens nothing. After 5 wrong passwords for a name or from an address,
further attempts get 429 and when to try again. Signing in starts a new session (new cookie, new CSRF token:
nothing set before sign-in survives it); signing out ends it on the server; "sign out everywhere" ends every
session of the user."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from wechat_pub.console.base import SignedIn, bp, csrf, deployment, record
from wechat_pub.urls import console_target

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
    keys = [f"user:{name.lower()}", f"address:{request.remote_addr}"]
    wait = throttle.wait_for(keys)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        page = render_template("login.html", error=_("Too many wrong passwords: try again in about %(minutes)s "
                                                     "minute(s).", minutes=minutes), name=name)
        return page, 429, {"Retry-After": str(int(wait) + 1)}
    user = users.verify(name, request.form.get("password", ""))
    if user is None:
        throttle.failed(keys)
        return render_template("login.html", error=_("Wrong name or password."), name=name), 401
    throttle.succeeded(keys)
    start_session(user)
    record("sign-in")
    return redirect(console_target(request.args.get("next")) or url_for("console.home"))


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


@bp.get("/")
def home():
    account = request.args.get("account")
    return redirect(url_for("console.issues", account=account if account in deployment().sites
                            else deployment().default.name))
