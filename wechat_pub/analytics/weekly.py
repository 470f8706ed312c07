"""The weekly note to the team (``analytics.weekly_note``, Monday 09:00 in the publisher's zone by default): last
week's issue(s) with their readers and shares against the four issues before, the followers' top questions and
the ones that found nothing, and a link to the console's 效果 / Reach page. Through the account's notification
channels (WeCom robot, e-mail: :mod:`wechat_pub.notify`), once per week: whichever process or host comes first
claims the week in the state database, and no other sends it (a note that fails is logged, not sent twice).
A week whose time passed more than :data:`GRACE_HOURS` ago while no service ran is skipped, and so is a note
with nothing to tell (no figures at all and no question that week)."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass

from wechat_pub.analytics.figures import IssueReach, issue_reach

log = logging.getLogger(__name__)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
GRACE_HOURS = 24
COMPARED = 4  # last week's issues against this many before them


@dataclass(frozen=True)
class WeeklyNote:
    """What the channels send: a subject and a text (the shape of :class:`wechat_pub.notify.Notice`)."""

    subject: str
    body: str

    def text(self) -> str:
        return f"{self.subject}\n{self.body}"


def latest_slot(now: float, timezone: str, when: str) -> dt.datetime | None:
    """The most recent weekday-and-time of ``when`` ("Mon 09:00") at or before ``now``; None when off."""
    if not when:
        return None
    day, clock_time = when.split()
    hour, minute = (int(part) for part in clock_time.split(":"))
    local = dt.datetime.fromtimestamp(now, zoneinfo.ZoneInfo(timezone))
    slot = (local - dt.timedelta(days=(local.weekday() - WEEKDAYS.index(day)) % 7)).replace(
        hour=hour, minute=minute, second=0, microsecond=0)
    return slot if slot <= local else slot - dt.timedelta(days=7)


def send_weekly_due(site) -> str:
    """Send this week's note if its time came and nobody sent it; what happened, in words ('' when nothing)."""
    slot = latest_slot(site.clock.time(), site.timezone, site.cfg["analytics.weekly_note"])
    if slot is None or site.clock.time() - slot.timestamp() > GRACE_HOURS * 3600:
        return ""  # not its time (a week missed while no service ran: the next one comes next week)
    if site.analytics.sent_week(slot.date().isoformat()):
        return ""
    note = weekly_note(site, slot)
    # no note when nothing went out and nobody asked, or nobody to tell (asked again on the next beat); the
    # channels are looked at last, as building them loads the mail and HTTP clients
    if note is None or not site.notifier.channels:
        return ""
    week = slot.date().isoformat()
    if not site.analytics.claim_week(week):
        return ""
    failed = site.notifier.notify(note)
    site.analytics.week_done(week, "failed" if failed else "sent", "; ".join(failed))
    return f"weekly note of {week} " + (f"not sent: {', '.join(failed)}" if failed else "sent")


def weekly_note(site, slot: dt.datetime) -> WeeklyNote | None:
    """The note of the week before ``slot``, in the console's language; None when there is nothing to tell (no
    figures, no questions)."""
    from wechat_pub.console.i18n import catalogue
    from wechat_pub.notify import N_

    _ = catalogue(site.cfg["console.language"]).gettext
    start = (slot - dt.timedelta(days=7)).date()
    since = slot.timestamp() - 7 * 86400
    reach = issue_reach(site)
    last_week = [r for r in reach if start.isoformat() <= r.ref_date < slot.date().isoformat()]
    lines = [_(N_("Week %(start)s – %(end)s:")) % {"start": start, "end": slot.date() - dt.timedelta(days=1)}]
    if not last_week:
        lines.append(_(N_("no issue went out last week (or WeChat has no figures for it yet).")))
    for issue in last_week:
        lines.append(compare(issue, [r for r in reach if r.ref_date < issue.ref_date][:COMPARED], _))
    top = site.query_log.top(5, since)
    unanswered = site.query_log.top(5, since, unanswered=True)
    if not reach and not top:
        return None
    none = _(N_("none"))
    lines.append(_(N_("Top questions: %(questions)s")) % {"questions": ", ".join(f"{q} ({n})" for q, n, _n in top)
                                                          or none})
    lines.append(_(N_("Found nothing: %(questions)s")) % {"questions": ", ".join(
        f"{q} ({n})" for q, n, _n in unanswered) or none})
    lines.append(_(N_("Reach: %(link)s")) % {"link": f"{site.services.console_url}/console/{site.name}/reach"})
    subject = _(N_("%(account)s: the week's reach")) % {"account": site.account_name or site.name}
    return WeeklyNote(f"📊 {subject}", "\n".join(lines))


def compare(issue: IssueReach, before: list[IssueReach], _=lambda message: message) -> str:
    """An issue's readers and shares in its first days against the issues before it at the same age (``_``: the
    team's language)."""
    from wechat_pub.notify import N_

    days = len(issue.curve)
    reads, shares = _at(issue, days)
    line = _(N_("issue %(issue)s: %(reads)s readers, %(shares)s shares in %(days)s day(s)")) % {
        "issue": issue.issue, "reads": reads, "shares": shares, "days": days}
    older = [_at(other, days) for other in before if len(other.curve) >= days]
    if older:
        line += _(N_("; the %(count)s before: %(reads)s readers, %(shares)s shares on average")) % {
            "count": len(older), "reads": round(sum(r for r, _s in older) / len(older)),
            "shares": round(sum(s for _r, s in older) / len(older))}
    return line


def _at(issue: IssueReach, days: int) -> tuple[int, int]:
    """(readers, shares) by the end of its ``days``-th day (its latest when younger)."""
    totals = next((t for day, t in issue.curve if day == days - 1), issue.latest)
    return totals["read_user"], totals["share_user"]
