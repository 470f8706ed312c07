"""Users (admins only) and the audit log. A new password, a new role, removal and "sign out everywhere" each
end every session of that user."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from wechat_pub.console.base import bp, deployment, record, requires
from wechat_pub.errors import WechatPubError
from wechat_pub.roles import ROLES


@bp.get("/users")
@requires("admin")
def users():
    return render_template("users.html", users=deployment().services.users.all(), roles=ROLES)


@bp.post("/users")
@requires("admin")
def add_user():
    name, role = request.form.get("name", "").strip(), request.form.get("role", "")
    try:
        deployment().services.users.add(name, role, request.form.get("password", ""))
    except WechatPubError as exc:
        flash(str(exc), "error")
    else:
        record("user-add", detail=f"{name} ({role})")
        flash(f"{name} can sign in now, as {role}.", "ok")
    return redirect(url_for("console.users"))


@bp.post("/users/<name>/remove")
@requires("admin")
def remove_user(name: str):
    if name == current_user.name:
        abort(400, "You cannot remove yourself; ask another admin.")
    try:
        deployment().services.users.remove(name)
    except WechatPubError as exc:
        flash(str(exc), "error")
    else:
        record("user-remove", detail=name)
        flash(f"{name} was removed.", "ok")
    return redirect(url_for("console.users"))


@bp.post("/users/<name>/password")
@requires("admin")
def set_password(name: str):
    try:
        deployment().services.users.set_password(name, request.form.get("password", ""))
    except WechatPubError as exc:
        flash(str(exc), "error")
    else:
        record("user-password", detail=name)
        flash(f"{name}'s password was changed.", "ok")
    return redirect(url_for("console.users"))


@bp.post("/users/<name>/role")
@requires("admin")
def set_role(name: str):
    role = request.form.get("role", "")
    if name == current_user.name:
        abort(400, "You cannot change your own role; ask another admin.")
    try:
        deployment().services.users.set_role(name, role)
    except WechatPubError as exc:
        flash(str(exc), "error")
    else:
        record("user-role", detail=f"{name} ({role})")
        flash(f"{name} is {role} now, and signs in again.", "ok")
    return redirect(url_for("console.users"))


@bp.post("/users/<name>/sign-out")
@requires("admin")
def sign_out_user(name: str):
    try:
        ended = deployment().services.users.end_sessions(name)
    except WechatPubError as exc:
        flash(str(exc), "error")
    else:
        record("sign-out-everywhere", detail=f"{name} ({ended} session(s))")
        flash(f"{name} was signed out everywhere ({ended} session(s) ended).", "ok")
    return redirect(url_for("console.users"))


@bp.get("/audit")
def audit():
    names = {site.appid: site.name for site in deployment().sites.values()}
    return render_template("audit.html", entries=deployment().services.audit.recent(300), accounts=names)
