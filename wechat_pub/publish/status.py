"""Where every issue stands: the articles folder joined with the push records."""

from __future__ import annotations

import datetime as dt
import glob
import os
from dataclasses import dataclass

from wechat_pub.config import Config
from wechat_pub.source.article import read_article
from wechat_pub.store import PushRecord, Store


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


def schedule_rows(cfg: Config, store: Store | None = None) -> list[ScheduleRow]:
    """Every scheduled slot: the articles' current publish_at, and what happened to earlier ones."""
    from wechat_pub.publish.schedule import scheduled_issues

    store = store or Store(cfg.database_url())
    appid = cfg["wechat.appid"] or "wx_sandbox"
    runs = {(r["issue"], r["publish_at"]): r for r in store.runs(appid)}
    rows = []
    grace = cfg["schedule.grace_hours"] * 3600
    for slot in scheduled_issues(cfg)[0]:
        run = runs.pop((slot.issue, slot.publish_at), None)
        if run:
            rows.append(ScheduleRow(slot.issue, os.path.relpath(slot.path), slot.publish_at, run["state"], run["detail"]))
            continue
        late = dt.datetime.now(dt.timezone.utc).timestamp() - slot.moment.timestamp()
        if late <= 0:
            state, details = "scheduled", ""
        elif late <= grace:
            state, details = "due", "runs as soon as `wechat-pub run` is running"
        else:
            state, details = "missed", "its time and the grace period passed; push it by hand or set a new time"
        rows.append(ScheduleRow(slot.issue, os.path.relpath(slot.path), slot.publish_at, state, details))
    for (issue, publish_at), run in runs.items():  # earlier slots: history
        rows.append(ScheduleRow(issue, "", publish_at, run["state"], run["detail"]))
    return sorted(rows, key=lambda r: r.when)


def issue_statuses(cfg: Config, store: Store | None = None) -> list[IssueStatus]:
    store = store or Store(cfg.database_url())
    appid = cfg["wechat.appid"] or "wx_sandbox"
    records = {r.issue: r for r in store.push_list(appid)}
    runs = {(r["issue"], r["publish_at"]): r for r in store.runs(appid)}
    rows: list[IssueStatus] = []
    folder = cfg.resolve_path("paths.articles")
    for path in sorted(glob.glob(os.path.join(folder, "*.md"))):
        parsed = read_article(path, cfg["publisher.timezone"])
        shown = os.path.relpath(path)
        if parsed.issue is None or parsed.errors:
            rows.append(IssueStatus("?", shown, "invalid", f"{len(parsed.errors)} error(s): run wechat-pub check"))
            continue
        number = parsed.issue.number
        row = describe(number, shown, records.pop(number, None), parsed.issue.publish_at)
        run = runs.get((number, parsed.issue.publish_at))
        if run and run["state"] in ("missed", "failed", "retrying"):
            row.details = f"scheduled push {run['state']}: {run['detail']}" + (f"; {row.details}" if row.details else "")
            if row.state == "not pushed":
                row.state = run["state"]
        rows.append(row)
    for number, record in sorted(records.items()):  # pushed once, file gone since
        rows.append(describe(number, record.path or "(file removed)", record, None))
    rows.sort(key=lambda r: (int(r.issue) if r.issue.isdigit() else 0))
    return rows


def describe(number: int, path: str, record: PushRecord | None, publish_at: str | None) -> IssueStatus:
    when = f"scheduled for {publish_at}" if publish_at else ""
    if record is None or record.state in ("new",):
        return IssueStatus(str(number), path, "not pushed", when)
    at = dt.datetime.fromtimestamp(record.updated_at).strftime("%Y-%m-%d %H:%M")
    if record.state == "draft":
        details = f"draft {record.draft_media_id} ({record.article_count} article(s)), {at}"
    elif record.state == "publishing":
        details = f"publish job {record.publish_id} since {at}; waiting for WeChat's result"
    elif record.state == "published":
        details = "published: " + " ".join(record.article_urls)
    else:
        details = f"failed {at}: {record.error}" + (f" → {record.hint}" if record.hint else "")
    if record.error and record.state != "failed":
        details += f"; last attempt failed: {record.error}" + (f" → {record.hint}" if record.hint else "")
    return IssueStatus(str(number), path, record.state, details)
