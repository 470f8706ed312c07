"""Signing in and out. Every console page but these needs a signed-in user; with no user yet, the sign-in page
says how to create the first one and opens nothing. After 5 wrong passwords for a name or from an address,
further attempts get 429 and when to try again."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from wechat_pub.console import SignedIn, bp, csrf, deployment, record
from wechat_pub.urls import console_target

OPEN = {"console.login", "console.static"}


@bp.before_request
def guard():
    """Closed to anyone not signed in; every state-changing request carries the form's CSRF token."""
    if request.method == "POST":
        csrf.protect()  # 400 without a valid token
    if request.endpoint not in OPEN and not current_user.is_authenticated:
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return {"error": "sign in first"}, 401
        return redirect(url_for("console.login", next=request.full_path if request.method == "GET" else None))
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    users = deployment().users
    if users.count() == 0:
        return render_template("login.html", no_users=True), (503 if request.method == "POST" else 200)
    if request.method == "GET":
        return render_template("login.html")
    name = request.form.get("name", "").strip()
    throttle = deployment().login_throttle
    keys = [f"user:{name.lower()}", f"address:{request.remote_addr}"]
    wait = throttle.wait_for(keys)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        page = render_template("login.html", error=f"Too many wrong passwords: try again in about {minutes} "
                                                   f"minute(s).", name=name)
        return page, 429, {"Retry-After": str(int(wait) + 1)}
    user = users.verify(name, request.form.get("password", ""))
    if user is None:
        throttle.failed(keys)
        return render_template("login.html", error="Wrong name or password.", name=name), 401
    throttle.succeeded(keys)
    login_user(SignedIn(user))
    record("sign-in")
    return redirect(console_target(request.args.get("next")) or url_for("console.home"))


@bp.post("/logout")
@login_required
def logout():
    record("sign-out")
    logout_user()
    return redirect(url_for("console.login"))


@bp.get("/")
def home():
    account = request.args.get("account")
    return redirect(url_for("console.issues", account=account if account in deployment().sites
                            else deployment().default.name))
