"""Collecting the figures: after ``analytics.collect_after`` in the publisher's zone (and at start, for missed
days), yesterday's totals of every article the account sent or published in the last 30 days.

- What to ask: the Beijing day each send or publish went out (its ``ref_date``). One
  ``getarticletotaldetail`` per such day returns every article of that day with its totals for each day since,
  so a day the service missed is filled by the next fetch.
- Each (publication day, day the figures run to) is fetched once, whichever process or host asks: under a lock
  per account, the fetches table says what is final. Figures WeChat says are not final (``is_delay``) are
  fetched again after ``analytics.retry_minutes``.
- Never over the quota: every call is counted per Beijing day first (``analytics.daily_calls``); a 45009 ends the
  day's calls.
- An unverified account (48001) gets one standing note, not an error a day; it is asked again after a week.
- Each ``msgid`` (``<msg_data_id>_<index>``) is tied to its issue through what the send ledger (``msg_data_id``)
  and the push ledger (``publish_id``, which the sandbox and, as far as is known, WeChat use as the published
  piece's msg_data_id) recorded; ``index`` is the part of a split issue.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass, field

from wechat_pub.wechat.errors import NetworkError, WeChatAPIError

log = logging.getLogger(__name__)

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")  # WeChat's dates and quotas are Beijing's
DAYS_KEPT = 30  # WeChat keeps an article's figures for 30 days after publication
RETRY_NOTE_DAYS = 7  # an unverified account is asked again after this long (it may have been verified since)
LOCK_LEASE = 300


@dataclass
class Collected:
    """What one collection did, in words for the CLI and the log."""

    fetched: int = 0  # calls made
    rows: int = 0  # day totals kept
    skipped: str = ""  # why nothing was asked ('' when it ran)
    notes: list[str] = field(default_factory=list)


def beijing_day(at: float) -> dt.date:
    return dt.datetime.fromtimestamp(at, BEIJING).date()


def due_day(now: float, timezone: str, collect_after: str) -> dt.date:
    """The last Beijing day whose figures are due: yesterday once ``collect_after`` has passed in the
    publisher's zone today, else the day before."""
    local = dt.datetime.fromtimestamp(now, zoneinfo.ZoneInfo(timezone))
    hour, minute = (int(part) for part in collect_after.split(":"))
    passed = (local.hour, local.minute) >= (hour, minute)
    return beijing_day(now) - dt.timedelta(days=1 if passed else 2)


def tied_pieces(site) -> dict[str, tuple[int, set[dt.date]]]:
    """msg_data_id -> (issue, the Beijing days it may have gone out): every send WeChat accepted and every
    publish, as the ledgers recorded them."""
    pieces: dict[str, tuple[int, set[dt.date]]] = {}
    for send in site.sends.all():
        if send.state in ("accepted", "sent") and send.msg_data_id:
            days = {beijing_day(send.requested_at), beijing_day(send.updated_at)}
            pieces[send.msg_data_id] = (send.issue, days)
    for push in site.pushes.all():
        if push.publish_id and str(push.state) in ("publishing", "published"):
            issue, days = pieces.get(push.publish_id, (push.issue, set()))
            pieces[push.publish_id] = (issue, days | publish_days(site, push.issue, push.publish_id))
    return pieces


def publish_days(site, issue: int, publish_id: str) -> set[dt.date]:
    """The Beijing days a publish went out: when it was submitted and when WeChat said it was published, from
    the issue's history (a record's own time moves with every later note)."""
    days, submitted = set(), False
    for entry in site.pushes.history(issue):
        if entry.event == "publish-submitted":
            submitted = entry.detail == publish_id
            if submitted:
                days.add(beijing_day(entry.at))
        elif entry.event == "published" and submitted:
            days.add(beijing_day(entry.at))
            submitted = False
    return days


def wanted(pieces, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(publication day, day the figures run to) pairs to ask for: every publication day of the last 30 days
    runs to ``last``; an older one (missed while the service was down) to its 30th day."""
    days = {day for _, found in pieces.values() for day in found}
    return sorted((day, min(last, day + dt.timedelta(days=DAYS_KEPT - 1))) for day in days
                  if last - dt.timedelta(days=2 * DAYS_KEPT) < day <= last)


def collect_due(site, wait: float = 0.0) -> Collected:
    """Fetch whatever is due for ``site``'s account. ``wait``: how long to wait for another process that is
    collecting (0: leave it to that one). Whether anything is due is read first, without the lock: the
    scheduler asks on every beat, and most beats have nothing to do (no write, no lock)."""
    cfg, clock = site.cfg, site.clock
    if not cfg["analytics.collect"]:
        return Collected(skipped="analytics.collect is off")
    last = due_day(clock.time(), site.timezone, cfg["analytics.collect_after"])
    pending = _pending(site, last)
    if isinstance(pending, str):
        return Collected(skipped=pending)
    try:
        with site.services.locks.lock(f"analytics:{site.appid}", lease=LOCK_LEASE, wait=wait):
            pending = _pending(site, last)  # again, under the lock: another host may have fetched it meanwhile
            return Collected(skipped=pending) if isinstance(pending, str) else _collect(site, *pending)
    except TimeoutError:
        return Collected(skipped="another process is collecting now")


def _pending(site, last: dt.date):
    """(what to fetch, msg_data_id -> issue), or why there is nothing to fetch."""
    store, now = site.analytics, site.clock.time()
    note, note_at = store.note()
    if note and now - note_at < RETRY_NOTE_DAYS * 86400:
        return note
    pieces = tied_pieces(site)
    delayed = {(ref, as_of): at for ref, as_of, at in store.delayed()}
    retry = site.cfg["analytics.retry_minutes"] * 60
    todo = [pair for pair in wanted(pieces, last) if _due(store, *pair, now - delayed.get(_key(*pair), now), retry)]
    if not todo:
        return "nothing is due"
    return todo, {msg_data_id: issue for msg_data_id, (issue, _) in pieces.items()}


def _collect(site, todo: list, issue_of: dict) -> Collected:
    done = Collected()
    with site.connect() as account:
        for ref, as_of in todo:
            if not _fetch_one(site, account, ref, as_of, issue_of, done):
                break
    return done


def _key(ref: dt.date, as_of: dt.date) -> tuple[str, str]:
    return ref.isoformat(), as_of.isoformat()


def _due(store, ref: dt.date, as_of: dt.date, delayed_for: float, retry_seconds: float) -> bool:
    """Never fetched, or fetched while WeChat was still counting more than ``retry_seconds`` ago."""
    state = store.fetched(*_key(ref, as_of))
    return state is None or (state == "delayed" and delayed_for >= retry_seconds)


def _fetch_one(site, account, ref: dt.date, as_of: dt.date, issue_of: dict, done: Collected) -> bool:
    """Fetch one publication day; False when no more calls may be made today."""
    store, today = site.analytics, beijing_day(site.clock.time()).isoformat()
    limit = site.cfg["analytics.daily_calls"]
    if not store.take_call(today, limit):
        done.notes.append(f"the day's {limit} datacube calls (analytics.daily_calls) are used; the rest tomorrow")
        return False
    try:
        answer = account.api.datacube.getarticletotaldetail(ref, ref)
    except WeChatAPIError as exc:
        return _refused(site, exc, today, limit, done)
    except NetworkError as exc:
        done.notes.append(f"{exc.message} (tried again later)")
        return False
    done.fetched += 1
    ours = [article for article in answer.rows if article.ref_date == ref.isoformat()]
    done.rows += store.save(ours, issue_of, answer.is_delay)
    store.mark_fetched(ref.isoformat(), as_of.isoformat(), "delayed" if answer.is_delay else "final")
    if store.note()[0]:
        store.set_note("")  # it may call the APIs now (verified since)
    if answer.is_delay:
        done.notes.append(f"figures of {ref} to {as_of} are not final yet (is_delay); fetched again later")
    return True


def _refused(site, exc: WeChatAPIError, today: str, limit: int, done: Collected) -> bool:
    store = site.analytics
    if exc.errcode == 48001:
        store.set_note(f"{exc.meaning}. {exc.action}")
        done.notes.append(exc.meaning)
        log.warning("account %s: %s (noted once; asked again in %d days)", site.name, exc.meaning, RETRY_NOTE_DAYS)
    elif exc.errcode == 45009:
        store.use_up_calls(today, limit)
        done.notes.append("WeChat says the day's datacube quota is used; the rest tomorrow")
    else:
        done.notes.append(exc.message)
        log.warning("account %s: analytics not fetched: %s", site.name, exc.message)
    return False
