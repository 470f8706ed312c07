"""Reaching the followers from the console: send an issue (approvers; exactly once, whatever the clicks), delete a
send, preview it on my phone (my WeChat ID, kept in my profile), mark it sent by hand, and what the issue page shows
of it: what its schedule will do, the send's counts and links, the previews left today, and what this account may
not do (unverified: drafts only; the buttons that would answer 48001 are not offered)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from wechat_pub.console.base import bp, record, refuse, requires, site_of
from wechat_pub.console.words import failure
from wechat_pub.errors import WechatPubError


def profiles(site):
    from wechat_pub.state.profiles import Profiles

    return Profiles(site.services.db, site.clock)


def reach_context(site, row, issue) -> dict:
    """What the issue page shows about reaching the followers."""
    from wechat_pub.publish.deliver import delivery_of
    from wechat_pub.rights import site_rights

    chosen = delivery_of(site, issue)
    rights = site_rights(site, wait=False)  # the page never waits on WeChat
    sends = site.sends.of_issue(row.number)
    return {"delivery": chosen, "plan": chosen.at(row.publish_at, site.timezone) if row.publish_at else "",
            "default_deliver": site.schedule.deliver, "rights": rights, "send": sends[-1] if sends else None,
            "previews_left": site.previews.left_today(), "wechat_id": profiles(site).wechat_id(current_user.name)}


def _issue(site, number: int):
    from wechat_pub.publish.actions import issue_of

    row = site.library.row(number)
    if row is None or row.removed:
        refuse(404, _("There is no issue %(number)s in this account.", number=number))
    return row, issue_of(site, site.library.path_of(row))


def _back(account: str, number: int):
    return redirect(url_for("console.issue", account=account, number=number))


@bp.post("/<account>/issues/<issue:number>/send")
@requires("approver")
def send(account: str, number: int):
    """A second click (or a second approver) meets the same send: it is never made twice."""
    from wechat_pub.publish.actions import unschedule_done
    from wechat_pub.publish.send import send_issue

    site = site_of(account)
    try:
        row, issue = _issue(site, number)
        with site.connect() as connection:
            outcome = send_issue(site, connection, issue, request.form.get("tag", ""), by=current_user.name)
    except WechatPubError as exc:
        record("send-failed", number, exc.message)
        flash(failure(_("Not sent."), exc), "error")
        return _back(account, number)
    if outcome.action == "already":
        flash(_("Issue %(number)s was already sent; nothing was sent again.", number=number), "ok")
        return _back(account, number)
    record("send", number, f"to {outcome.audience}, msg_id {outcome.msg_id}")
    note = unschedule_done(site, site.library.path_of(row), "sent by hand", current_user.name)
    flash(_("Issue %(number)s is being sent to the followers; the counts and links come when WeChat is done.",
            number=number), "ok")
    if note:
        flash(failure(_("Note:"), note), "warning")
    return _back(account, number)


@bp.post("/<account>/issues/<issue:number>/unsend")
@requires("approver")
def unsend(account: str, number: int):
    from wechat_pub.publish.send import unsend as delete_send

    site = site_of(account)
    try:
        with site.connect() as connection:
            msg_id = delete_send(site, connection, number, by=current_user.name)
    except WechatPubError as exc:
        flash(failure(_("The send was not deleted."), exc), "error")
    else:
        record("unsend", number, f"msg_id {msg_id}")
        flash(_("Issue %(number)s's send was deleted from the followers' chats.", number=number), "ok")
    return _back(account, number)


@bp.post("/<account>/issues/<issue:number>/phone-preview")
def phone_preview(account: str, number: int):
    from wechat_pub.publish.phone import preview_on_phone

    site = site_of(account)
    wechat_id = profiles(site).wechat_id(current_user.name)
    if not wechat_id:
        flash(_("Add your WeChat ID to your profile first: the preview goes to that phone."), "error")
        return redirect(url_for("console.profile", back=url_for("console.issue", account=account, number=number)))
    try:
        _found, issue = _issue(site, number)
        with site.connect() as connection:
            left = preview_on_phone(site, connection, issue, wechat_id, by=current_user.name)
    except WechatPubError as exc:
        flash(failure(_("Not sent to your phone."), exc), "error")
    else:
        record("phone-preview", number, "to the user's WeChat ID")
        flash(_("Issue %(number)s is on its way to your phone (%(id)s); %(left)s phone preview(s) left today.",
                number=number, id=wechat_id, left=left), "ok")
    return _back(account, number)


@bp.post("/<account>/issues/<issue:number>/mark-sent")
@requires("approver")
def mark_sent(account: str, number: int):
    from wechat_pub.publish.actions import unschedule_done
    from wechat_pub.publish.send import mark_sent as mark

    site = site_of(account)
    url = request.form.get("url", "").strip()
    try:
        row, issue = _issue(site, number)
        mark(site, issue, url, by=current_user.name)
    except WechatPubError as exc:
        flash(failure(_("Not marked sent."), exc), "error")
    else:
        record("mark-sent", number, url)
        note = unschedule_done(site, site.library.path_of(row), "sent by hand", current_user.name)
        flash(_("Issue %(number)s is marked sent; followers now find it.", number=number), "ok")
        if note:
            flash(failure(_("Note:"), note), "warning")
    return _back(account, number)


@bp.post("/<account>/issues/<issue:number>/mark-published")
@requires("approver")
def mark_published(account: str, number: int):
    from wechat_pub.publish.actions import mark_published as mark
    from wechat_pub.publish.actions import unschedule_done

    site = site_of(account)
    url = request.form.get("url", "").strip()
    try:
        row, _issued = _issue(site, number)
        path = site.library.path_of(row)
        mark(site, path, url)
    except WechatPubError as exc:
        flash(failure(_("Not marked published."), exc), "error")
    else:
        record("mark-published", number, url)
        note = unschedule_done(site, path, "published by hand", current_user.name)
        flash(_("Issue %(number)s is marked published; followers now find it.", number=number), "ok")
        if note:
            flash(failure(_("Note:"), note), "warning")
    return _back(account, number)


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    from wechat_pub.console.base import deployment
    from wechat_pub.publish.phone import check_wechat_id
    from wechat_pub.state.profiles import Profiles
    from wechat_pub.urls import console_target

    store = Profiles(deployment().services.db, deployment().clock)
    if request.method == "POST":
        wechat_id = request.form.get("wechat_id", "").strip()
        try:
            store.set_wechat_id(current_user.name, check_wechat_id(wechat_id) if wechat_id else "")
        except WechatPubError as exc:
            flash(failure(_("Not saved."), exc), "error")
        else:
            flash(_("Your WeChat ID is saved.") if wechat_id else _("Your WeChat ID is removed."), "ok")
            target = console_target(request.form.get("back"))
            if target:
                return redirect(target)
        return redirect(url_for("console.profile"))
    return render_template("profile.html", wechat_id=store.wechat_id(current_user.name),
                           back=request.args.get("back", ""))


@bp.route("/<account>/rights", methods=["GET", "POST"])
@requires("admin")
def rights(account: str):
    """What this account may do (as `wechat-pub doctor` says it); POST asks WeChat again now."""
    from wechat_pub.rights import forget_rights, site_rights

    site = site_of(account)
    if request.method == "POST":
        forget_rights(site.appid)
        record("rights-checked", 0, "")
        return redirect(url_for("console.rights", account=account))
    return render_template("rights.html", rights=site_rights(site), previews_left=site.previews.left_today())
