"""Where every issue of an account stands: its issues (the shared database's copy, as every host sees them)
joined with its push records and schedule runs."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from functools import cached_property

from wechat_pub.issue_reader import settle_long_lived
from wechat_pub.publish.timing import slot_status
from wechat_pub.site import Site
from wechat_pub.state.pushes import PushRecord, PushState


@dataclass
class IssueStatus:
    issue: str
    path: str
    state: str
    details: str


@dataclass
class ScheduleRow:
    issue: int
    path: str
    when: str
    state: str
    details: str
    plan: str = ""  # what happens then, in words: "send to all followers at Tue 2026-12-08 09:00"


def schedule_rows(site: Site) -> list[ScheduleRow]:
    """Every scheduled slot: the articles' current publish_at, and what happened to earlier ones."""
    from wechat_pub.preflight import image_errors
    from wechat_pub.publish.deliver import delivery_of

    runs = {(run.issue, run.publish_at): run for run in site.runs.all()}
    now = site.clock.time()
    catalogue = site.library.catalogue()
    rows = []
    for slot in site.library.slots():
        run = runs.pop((slot.issue, slot.publish_at), None)
        issue = catalogue.issue(slot.issue)
        if run is None and issue is not None and not slot.blocked:  # its images too: blocked at its time else
            slot = replace(slot, problems=image_errors(issue, site.render_options()))
        state, details = slot_status(slot, run, now, site.schedule.grace_seconds)
        plan = delivery_of(site, issue).at(slot.publish_at, site.timezone)
        rows.append(ScheduleRow(slot.issue, os.path.relpath(slot.path), slot.publish_at, state, details, plan))
    for (issue, publish_at), run in runs.items():  # earlier slots: history
        rows.append(ScheduleRow(issue, "", publish_at, run.state, run.detail))
    return sorted(rows, key=lambda r: r.when)


def issue_statuses(site: Site) -> list[IssueStatus]:
    from wechat_pub.publish.deliver import delivery_of

    records = {record.issue: record for record in site.pushes.all()}
    runs = {(run.issue, run.publish_at): run for run in site.runs.all()}
    catalogue = site.library.catalogue()
    rows: list[IssueStatus] = []
    for broken in catalogue.broken:
        rows.append(IssueStatus(str(broken.number or "?"), os.path.relpath(broken.path), "invalid",
                                f"{len(broken.errors)} error(s): run wechat-pub check"))
        records.pop(broken.number, None)
    for unsynced in site.articles.read().files:  # files of this folder that cannot reach the database at all
        if not unsynced.number:
            rows.append(IssueStatus("?", os.path.relpath(unsynced.path), "invalid",
                                    f"{len(unsynced.errors)} error(s): run wechat-pub check"))
    for issue in catalogue.issues:
        plan = delivery_of(site, issue).at(issue.publish_at, site.timezone) if issue.publish_at else None
        upcoming = bool(issue.publish_at) and _timestamp(issue.publish_at) > site.clock.time()
        row = describe(issue.number, os.path.relpath(issue.path), records.pop(issue.number, None), plan, site.timezone,
                       upcoming)
        run = runs.get((issue.number, issue.publish_at))
        if run and run.state in ("missed", "failed", "retrying"):
            earlier = row.details if row.details and run.detail not in row.details else ""  # (the same error once)
            row.details = f"scheduled push {run.state}: {run.detail}" + (f"; {earlier}" if earlier else "")
            if row.state == "not pushed":
                row.state = run.state
        rows.append(row)
    for number, record in sorted(records.items()):  # pushed once, file gone since
        rows.append(describe(number, record.path or "(file removed)", record, None, site.timezone))
    rows.sort(key=lambda r: (int(r.issue) if r.issue.isdigit() else 0))
    return rows


def describe(number: int, path: str, record: PushRecord | None, plan: str | None, zone: str,
             upcoming: bool = False) -> IssueStatus:
    """``plan``: what its schedule does, in words ('send to all followers at Tue 2026-12-08 09:00'), ``upcoming``
    when its time has not come; times in the publisher's time ``zone``, as everywhere else (not the server's)."""
    when = f"scheduled: {plan}" if plan else ""
    if record is None or record.state is PushState.NEW:
        return IssueStatus(str(number), path, "not pushed", when)
    at = to_the_minute(_in_zone(record.updated_at, zone))
    if record.state is PushState.DRAFT:
        details = f"draft {record.draft_media_id} ({record.article_count} article(s)), {at}" + (
            f"; its earlier article is online: {' '.join(record.article_urls)}" if record.article_urls else "")
    elif record.state is PushState.PUBLISHING and not record.publish_id:
        details = (f"publish of draft {record.draft_media_id} asked of WeChat, its answer lost ({at}); the next push "
                   "looks for the article")
    elif record.state is PushState.PUBLISHING:
        details = f"publish job {record.publish_id} since {at}; waiting for WeChat's result"
    elif record.state is PushState.PUBLISHED:
        details = "published: " + " ".join(record.article_urls)
    elif record.state is PushState.SENDING:
        details = f"mass send accepted by WeChat {at}; waiting for its result"
    elif record.state is PushState.SENT:
        details = "sent to followers: " + " ".join(record.article_urls)
    elif upcoming:  # given a new time after the failure: scheduled, as the console says
        failure = f"last push failed {at}: {record.error}" + (f" → {record.hint}" if record.hint else "")
        return IssueStatus(str(number), path, "scheduled", f"{when}; {failure}")
    else:
        details = f"failed {at}: {record.error}" + (f" → {record.hint}" if record.hint else "")
    if record.error and record.state is not PushState.FAILED:
        details += f"; last attempt failed: {record.error}" + (f" → {record.hint}" if record.hint else "")
    if when and upcoming and record.state is PushState.DRAFT:  # in the draft box, not gone out: what comes next
        details += f"; {when}"
    return IssueStatus(str(number), path, record.state.value, details)


# ---- the console's overview ----------------------------------------------------------------------------

STATUSES = ("not pushed", "scheduled", "awaiting approval", "draft", "publishing", "published", "sending", "sent",
            "failed", "missed", "blocked")


@dataclass
class Overview:
    """One issue as the console lists it. What its publish time and its last push say in words, and what its
    schedule does, are worked out when first asked for: a list of two thousand issues shows them for a few
    (the issues list's page, the calendar's month)."""

    number: int
    filename: str
    title: str
    status: str  # one of STATUSES
    publish_at: str | None
    advice: str  # what to do about it
    valid: bool
    version: int
    approved_by: str = ""
    site: Site | None = field(default=None, repr=False, compare=False)
    record: PushRecord | None = field(default=None, repr=False, compare=False)  # its push record
    article: object = field(default=None, repr=False, compare=False)  # its ArticleFile (None: not read yet)
    stored: object = field(default=None, repr=False, compare=False)  # its IssueRow, read without its text

    @cached_property
    def when(self) -> str:
        """The publish time in the publisher's zone, with the zone."""
        return _local(self.publish_at, self.site)

    @cached_property
    def last_push(self) -> str:
        """What the last push did."""
        return _last_push(self.record, self.site.timezone if self.site else None)

    @cached_property
    def delivery(self):
        """What its schedule does (the article's delivery, else the account's)."""
        from wechat_pub.publish.deliver import delivery_of

        article = self.article
        if article is None and self.stored is not None:  # not read with the list (the calendar's): read now
            article = self.site.library.reader.articles_of([self.stored]).get(self.number)
        return delivery_of(self.site, article.issue if article is not None and article.valid else None)

    @property
    def plan(self) -> str:
        """What happens at publish_at, in words: "send to all followers at Tue 2026-12-08 09:00"."""
        return self.delivery.at(self.publish_at, self.site.timezone) if self.publish_at else ""

    @property
    def action(self) -> str:  # draft, publish or send
        return self.delivery.action

    @property
    def tag(self) -> str:  # send: the followers' tag id ('' : everyone)
        return self.delivery.tag


def overview(site: Site, records: dict[int, PushRecord] | None = None, read: bool = True) -> list[Overview]:
    """Every issue of the account as the console lists it, newest first; ``records``: the push records when the
    caller has read them already (issue number -> record). ``read``: each issue's article is read now (what
    its schedule does); without it, when a row is first asked what its schedule does (the calendar: its month's)."""
    stored = site.library.store.all(texts=False)
    if records is None:
        records = {record.issue: record for record in site.pushes.all()}
    runs = {(run.issue, run.publish_at): run for run in site.runs.all()}
    rows = _overview_rows(site, stored, records, runs, site.approvals.all(), read)
    return sorted(rows, key=lambda r: -r.number)


def calendar_overview(site: Site, since: float, until: float) -> tuple[list[Overview], dict[int, PushRecord]]:
    """What a calendar of the moments ``since`` to ``until`` shows of :func:`overview` (newest first): each issue
    with a publish time, each not gone out to WeChat (the schedule dialog offers them), each published or sent in
    that time; and their push records. Only those are read (a year's archive is mostly issues published long ago);
    an article is read when its row is asked what its schedule does (the month's chips)."""
    records = {record.issue: record for record in site.pushes.on_the_calendar(since, until)}
    stored = site.library.store.on_the_calendar(since, until)
    runs = {(run.issue, run.publish_at): run for run in site.runs.all()}
    rows = _overview_rows(site, stored, records, runs, site.approvals.all(), read=False)
    return sorted(rows, key=lambda r: -r.number), records


def overview_page(site: Site, page: int, per_page: int) -> tuple[list[Overview], dict[int, PushRecord], int, int]:
    """Page ``page`` of :func:`overview` (``per_page`` issues, newest first; a page out of range: the nearest one),
    reading only that page's issues, push records, runs and approvals: (its rows, their push records, the page
    shown, the number of issues)."""
    store = site.library.store
    total = store.count()
    page = min(max(page, 1), max(1, -(-total // per_page)))
    stored = store.newest(per_page, (page - 1) * per_page)
    if not stored:
        return [], {}, page, total
    low, high = stored[-1].number, stored[0].number  # (newest first)
    records = {record.issue: record for record in site.pushes.all(low, high)}
    runs = {(run.issue, run.publish_at): run for run in site.runs.all(low, high)}
    return _overview_rows(site, stored, records, runs, site.approvals.all(low, high)), records, page, total


def _overview_rows(site: Site, stored: list, records: dict, runs: dict, approvals: dict,
                   read: bool = True) -> list[Overview]:
    """Each of ``stored`` (rows read without their texts) as the console lists it, in their order; ``read``: see
    :func:`overview`."""
    # (parsed once, kept while their texts are the same; without `read`, each when it is first needed)
    articles = site.library.reader.articles_of(stored) if read else {}
    now = site.clock.time()
    rows = [_overview_row(site, row, articles.get(row.number), records.get(row.number),
                          runs.get((row.number, row.publish_at)) if row.publish_at else None,
                          approvals.get(row.number), now) for row in stored]
    if read:
        unread = sum(1 for article in articles.values() if not article.is_read)
        for row in rows:
            row.delivery  # noqa: B018 (read now: parsed here, then settled below)
        if unread > 50 and len(stored) <= site.library.reader.kept:  # many parsed here, and kept (not evicted again)
            settle_long_lived()
    return rows


def overview_of(site: Site, row) -> Overview:
    """One issue (its stored ``row``) as :func:`overview` lists it, reading only what is about it (the issue page:
    one of two thousand)."""
    article = site.library.reader.articles_of([row]).get(row.number)
    run = site.runs.get(row.number, row.publish_at) if row.publish_at else None
    return _overview_row(site, row, article, site.pushes.get(row.number), run, site.approvals.get(row.number),
                         site.clock.time())


def _overview_row(site: Site, row, article, record: PushRecord | None, run, approval, now: float) -> Overview:
    approved = approval is not None and approval.text_hash == row.text_hash
    status, advice = _status(site, row, record, run, approved, now)
    if status in ("scheduled", "awaiting approval") and article is not None and article.issue is not None:
        from wechat_pub.preflight import image_errors  # (its images too, as the scheduler will: few issues are)

        if image_errors(article.issue, site.render_options()):
            status, advice = "blocked", IMAGES_REFUSED
    return Overview(row.number, row.filename, row.title, status, row.publish_at, advice, row.valid, row.version,
                    approval.by if approved else "", site, record, article, row)


IMAGES_REFUSED = ("An image it shows cannot be pushed (missing, or not one WeChat takes): fix it, or it is not "
                  "pushed at its time.")
STALE_DRAFT = ("In the draft box, but the text changed since it was pushed: push it again (publishing here pushes "
               "the newest text first).")


def _status(site: Site, row, record: PushRecord | None, run, approved: bool, now: float) -> tuple[str, str]:
    state = record.state if record else PushState.NEW
    if state is PushState.PUBLISHED:
        return "published", ""
    if state is PushState.SENT:
        return "sent", ""
    if state is PushState.SENDING:
        return "sending", "WeChat accepted the send; its counts and links come when it is done."
    if state is PushState.PUBLISHING:
        return "publishing", "WeChat is publishing it; the links come when it is done."
    if run is not None and run.state in ("missed", "failed", "blocked"):
        return run.state, run.detail
    if not row.valid and row.publish_at:
        return "blocked", "Its article has errors: fix them, or it is not pushed at its time."
    failed = record.error + (f" → {record.hint}" if record.hint else "") if state is PushState.FAILED else ""
    if row.publish_at and _timestamp(row.publish_at) > now:  # scheduled again after a failure: that is its state
        if site.require_approval and not approved:
            return "awaiting approval", "An approver must approve this version before its time."
        return "scheduled", f"The last push failed: {failed}" if failed else ""
    if failed:
        return "failed", failed
    if state is PushState.DRAFT and row.updated_at > record.updated_at:  # saved since: the draft is older
        return "draft", STALE_DRAFT
    if state is PushState.DRAFT:
        return "draft", "In the draft box: publish it (here, as an approver, or in mp.weixin.qq.com)."
    return "not pushed", "Schedule it, or push it to the draft box now."


def _last_push(record: PushRecord | None, zone: str | None) -> str:
    if record is None or record.state is PushState.NEW:
        return ""
    at = to_the_minute(_in_zone(record.updated_at, zone))
    last = f"{record.state.value} {at}"
    return last + (f"; last attempt failed: {record.error}" if record.error else "")


def _local(publish_at: str | None, site: Site) -> str:
    if not publish_at:
        return ""
    import zoneinfo

    moment = dt.datetime.fromisoformat(publish_at).astimezone(zoneinfo.ZoneInfo(site.timezone))
    return f"{to_the_minute(moment)} ({site.timezone})"


def _in_zone(moment: float, zone: str | None) -> dt.datetime:
    import zoneinfo

    return dt.datetime.fromtimestamp(moment, zoneinfo.ZoneInfo(zone) if zone else None)


def to_the_minute(moment: dt.datetime) -> str:
    """'2026-12-08 09:00'. Not strftime: glibc's looks at /etc/localtime on every call, and the console's lists
    format two thousand of these a view."""
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:{moment.minute:02d}"


def _timestamp(iso: str) -> float:
    return dt.datetime.fromisoformat(iso).timestamp()
