"""What people do to an issue, with the guards that keep work from being lost or sent by mistake: schedule,
move and cancel it, push it, mark it published. The CLI and the console call these; each refuses with a
message that says what to do, before changing anything."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from wechat_pub import model as m
from wechat_pub.errors import ArticleError, WechatPubError
from wechat_pub.source.article import load_issue
from wechat_pub.source.frontmatter import parse_publish_time
from wechat_pub.source.schedule import set_publish_at


@dataclass(frozen=True)
class Scheduled:
    issue: m.Issue
    publish_at: str | None  # None: no longer scheduled


def issue_of(site, path: str) -> m.Issue:
    """The issue in an article file of the account's folder, refused when it has errors, lies outside the folder
    (the schedule, status and search only know the folder), or shares its number with another file."""
    if not site.articles.contains(path):
        raise WechatPubError(f"{path} is not in the articles folder of account {site.name!r} ({site.articles.path}).",
                             "Move it there (or pick the account whose folder it is in, with --account); issues "
                             "outside the folder are never pushed on schedule, listed or found by followers.")
    issue = load_issue(path, site.timezone)
    others = site.articles.read().others_with_number(path, issue.number)
    if others:
        raise ArticleError(f"issue {issue.number} is in two files: {path} and {', '.join(others)}.",
                           "Give one of them another issue number, or remove it; until then neither is pushed.")
    return issue


def folder_problems(site, path: str, issue: m.Issue | None) -> list[m.Problem]:
    """What `check` adds about the file's place: two files with one issue number (an error: neither may be
    pushed), or a scheduled file outside the account's articles folder (its time would never come)."""
    if issue is None:
        return []
    if not site.articles.contains(path):
        if not issue.publish_at:
            return []
        return [m.Problem(m.Pos(path), "warning", f"{path} has a publish_at but is not in the articles folder of "
                          f"account {site.name!r} ({site.articles.path}): it will not be pushed then.",
                          "Move it into the folder (or check it with --account for the account whose folder it is).")]
    others = site.articles.read().others_with_number(path, issue.number)
    if not others:
        return []
    return [m.Problem(m.Pos(path, 2), "error", f"issue {issue.number} is also in {', '.join(others)}.",
                      "Give one of the files another issue number, or remove it; until then neither is pushed.")]


def schedule(site, path: str, when: str | None, author: str | None = None,
             delivery: tuple[str, str] | None = None) -> Scheduled:
    """Set (or, with None, remove) the issue's publish time: its front matter's publish_at, then the shared
    database. A time that has passed is refused, saying what time it is in the publisher's zone. ``delivery``: the
    (deliver, tag) that goes with it (the console's 'what happens then'). With an ``author`` (the console) the
    new text is saved as theirs in one step, under the sync's lock, as the editor's saves are (StaleVersion when
    someone saved meanwhile): written to the file first and synced after, a sync
    between the two (another page, the scheduler) took an editor's ``deliver: send`` for this host's change, which
    needs no approval. Without one (the command line) the file is edited in place: the operator's change."""
    from wechat_pub.source.delivery import set_delivery, with_delivery
    from wechat_pub.source.schedule import with_publish_at

    issue = issue_of(site, path)
    if when is not None:
        moment = _publish_time(when, site.timezone)
        now = site.clock.time()
        if moment.timestamp() <= now:
            current = dt.datetime.fromtimestamp(now, zoneinfo.ZoneInfo(site.timezone))
            raise WechatPubError(f"{when!r} ({moment.isoformat()}) has already passed: it is now "
                                 f"{current.strftime('%Y-%m-%d %H:%M')} in {site.timezone}.",
                                 "Give a time in the future; to send the issue now, use `wechat-pub push`.")
    if author is None:
        if delivery is not None:
            set_delivery(path, *delivery)
        normalised = set_publish_at(path, when, site.timezone)
        site.library.sync()
        return Scheduled(issue if delivery is None else issue_of(site, path), normalised)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if delivery is not None:
        text = with_delivery(text, *delivery, path=path)
    text, normalised = with_publish_at(text, when, site.timezone, path)
    row = site.library.row(issue.number)
    site.library.save(row.filename, text, row.version, author)
    return Scheduled(issue_of(site, path), normalised)


def _publish_time(when: str, timezone: str) -> dt.datetime:
    try:
        return parse_publish_time(when, timezone)
    except ValueError as exc:
        raise WechatPubError(f"--at {when!r}: {exc}.", 'Give a date and a time of day: --at "YYYY-MM-DD HH:MM", e.g. "2027-03-02 09:00"') from None


def mark_published(site, path: str, url: str) -> m.Issue:
    """Record that the team published the issue by hand in mp.weixin.qq.com, at ``url`` (followers can then
    find it, and its link is in their answers)."""
    from wechat_pub.urls import safe_link

    if safe_link(url) is None:
        raise WechatPubError(f"{url!r} is not the article's link.", "Copy it from the published article: "
                                                                   "https://mp.weixin.qq.com/s/…")
    from wechat_pub.state.pushes import PushedText

    issue = issue_of(site, path)
    site.library.sync()
    text = site.library.text_of(issue)  # what went out, unless a draft of ours says otherwise
    site.pushes.published(issue.number, [url], how="marked by hand",
                          text=PushedText(issue.text_sha256, text) if text is not None else PushedText())
    return issue


def unschedule_done(site, path: str, why: str, author: str | None = None) -> str:
    """Something done by hand (published, sent, marked) makes the issue's pending schedule moot: clear it, and
    say so (''  when nothing was scheduled, or its time has passed and it already ran)."""
    issue = load_issue(path, site.timezone)
    if not issue.publish_at:
        return ""
    moment = _publish_time(issue.publish_at, site.timezone)
    if moment.timestamp() <= site.clock.time():
        return ""
    set_publish_at(path, None, site.timezone)
    site.library.sync(author=author)
    return f"its schedule ({issue.publish_at}) was cleared: it was {why}, so nothing happens at that time"
