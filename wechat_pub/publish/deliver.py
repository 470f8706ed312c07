"""What happens to a scheduled issue at its time, said in words and done: ``draft`` (into the draft box),
``publish`` (freepublish: it gets a URL, but no follower is told — reference/wechat-reach.md §1) or ``send``
(the mass send: followers get it in their chats). The article's ``deliver:`` decides, else the account's
``schedule.deliver`` (or, in an older config, ``schedule.publish = true``: publish)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from wechat_pub import model as m
from wechat_pub.config import Config


@dataclass(frozen=True)
class Delivery:
    action: str  # draft, publish, send
    tag: str = ""  # send: the followers' tag id ('' : everyone)

    def words(self) -> str:
        """What it does, for people: 'draft', 'publish (no follower is told)', 'send to all followers'."""
        if self.action == "send":
            return f"send to followers with tag {self.tag}" if self.tag else "send to all followers"
        if self.action == "publish":
            return "publish (no follower is told)"
        return "draft (into the draft box)"

    def at(self, publish_at: str | None, timezone: str) -> str:
        """'send to all followers at Tue 2026-12-08 09:00' in the publisher's zone."""
        if not publish_at:
            return self.words()
        return f"{self.words()} at {local_time(publish_at, timezone)}"


def local_time(publish_at: str, timezone: str) -> str:
    moment = dt.datetime.fromisoformat(publish_at).astimezone(zoneinfo.ZoneInfo(timezone))
    return moment.strftime("%a %Y-%m-%d %H:%M")


@dataclass(frozen=True)
class ScheduleSettings:
    grace_seconds: float
    publish: bool  # a scheduled push also publishes (the older setting: see ``deliver``)
    retry_minutes: float
    deliver: str = "draft"  # what a scheduled issue does at its time, unless its article says: draft, publish, send
    send_to_tag: str = ""  # a scheduled send's followers' tag id ('' : everyone)
    send_check_minutes: float = 10.0
    note: str = ""  # about an older config (schedule.publish without schedule.deliver)


def schedule_settings(cfg: Config) -> ScheduleSettings:
    """schedule.deliver, or from the older boolean schedule.publish (still read: true means deliver = publish)."""
    deliver, note = cfg["schedule.deliver"], ""
    if not deliver:
        deliver = "publish" if cfg["schedule.publish"] else "draft"
        if cfg["schedule.publish"]:
            note = ('schedule.publish = true is read as schedule.deliver = "publish" (published, no follower is '
                    'told); set schedule.deliver = "publish" or "send" in config.toml instead')
    return ScheduleSettings(cfg["schedule.grace_hours"] * 3600, deliver == "publish", cfg["schedule.retry_minutes"],
                            deliver, str(cfg["schedule.send_to_tag"]), cfg["schedule.send_check_minutes"], note)


def delivery_of(site, issue: m.Issue | None) -> Delivery:
    action = (issue.deliver if issue else "") or site.schedule.deliver
    tag = ((issue.send_to_tag if issue else "") or site.schedule.send_to_tag) if action == "send" else ""
    return Delivery(action, tag)


def editor_without_approval(site, number: int) -> str | None:
    """Why the schedule may not publish or send this version, or None. An editor may not publish or send by hand
    (roles), so neither may their schedule: when the issue's text was last changed by a console user below
    approver (their ``deliver:``/``publish_at`` included) and no approver approved this version, the schedule
    only makes the draft. Changes from a host's folder or the command line come from the operators, who hold the
    server itself, and are taken as they are."""
    from wechat_pub.state.issues import TextAuthor

    row = site.library.row(number)
    if row is None:
        return None
    author = row.text_by or TextAuthor(row.updated_by, False)  # (pictures a host's folder brought: still theirs)
    user = site.services.users.get(author.name) if author.name else None
    if user is None and not author.console:  # a host's folder or the command line: the operators'
        return None
    if user is not None and user.may("approver"):
        return None
    approval = site.approvals.get(number)
    if approval is not None and approval.text_hash == row.text_hash:
        return None
    who = f"{user.name} (an {user.role})" if user is not None else f"{author.name} (no longer a console user)"
    return f"{who} last changed it and no approver approved this version"


def deliver(site, account, issue: m.Issue, go_ahead=None) -> str:
    """Do what the issue's delivery says (the scheduler, at its time); what was done, in words. ``go_ahead``:
    called just before a publish or a send goes out, raises when it should not (see :func:`send_issue`)."""
    chosen = delivery_of(site, issue)
    refused = editor_without_approval(site, issue.number) if chosen.action in ("publish", "send") else None
    if refused:
        outcome = site.pusher(account).push(issue, publish=False)
        return (f"{outcome.action} draft {outcome.media_id} only, not {chosen.words()}: {refused}. An approver "
                "approves this version in the console, then publishes or sends it")
    if chosen.action == "send":
        from wechat_pub.publish.send import send_issue

        outcome = send_issue(site, account, issue, chosen.tag, by="schedule", go_ahead=go_ahead)
        if outcome.action == "already":
            return f"already sent before (msg_id {outcome.msg_id}); nothing sent again"
        return f"sent to {outcome.audience} (msg_id {outcome.msg_id}); {outcome.draft}"
    outcome = site.pusher(account).push(issue, publish=chosen.action == "publish", go_ahead=go_ahead)
    return f"{outcome.action} draft {outcome.media_id}" + (f", publish job {outcome.publish_id}"
                                                         if outcome.publish_id else "")
