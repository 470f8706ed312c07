"""Analytics: ``/datacube/getarticletotaldetail``, ``getarticleread``, ``getarticleshare``, ``getbizsummary``
(reference/wechat-reach.md §6–§7), with deterministic figures for what this sandbox sent (mass sends that
succeeded, ``publish_type`` 0) or published (publish jobs that succeeded, ``publish_type`` 1).

- An article's reads rise over the 30 days after publication (:func:`reads_by`), split by source in fixed shares;
  shares, likes, 在看, comments and favourites are fixed fractions of the reads. Same article, same day: same
  figures, on every run.
- The end date is yesterday at the latest (Beijing dates), else 61501; a malformed date is 61500.
- Yesterday's figures are not final before ``datacube_final_hour`` (8 by default) Beijing time: ``is_delay`` is
  true, and yesterday's increase is only partly counted, so a later call returns more.
- Unverified accounts (``SandboxAccount.verified = false``, ``sandbox.verified`` in the config) get 48001.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import Blueprint

from wechat_pub.sandbox.api import WxError, body, caller, endpoint, state
from wechat_pub.sandbox.mass import require_verified, store

datacube = Blueprint("sandbox_datacube", __name__, url_prefix="/datacube")

BEIJING = dt.timezone(dt.timedelta(hours=8))
DAYS_KEPT = 30  # figures run for 30 days after publication
SOURCE_SHARES = ((0, "chat", 0.46), (4, "home", 0.09), (1, "share", 0.2), (2, "share", 0.06), (7, "search", 0.12),
                 (5, "other", 0.07))
FRACTIONS = {"share_user": 0.08, "like_user": 0.035, "zaikan_user": 0.02, "comment_count": 0.01,
             "collection_user": 0.015}
PARTIAL = 0.6  # how much of yesterday's increase is counted while is_delay


def beijing_day(at: float) -> dt.date:
    return dt.datetime.fromtimestamp(at, BEIJING).date()


def reads_by(msgid: str, days_since: int) -> int:
    """Total readers of an article by the end of its ``days_since``-th day after publication (0: the day itself):
    most in the first days, still rising at day 29. Its size comes from the msgid, so articles differ."""
    size = 300 + int(hashlib.sha256(msgid.encode()).hexdigest()[:4], 16) % 700
    return int(size * (1 - 0.55 ** (days_since + 1)) + 3 * days_since)


def _date(value: object) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise WxError(61500) from None


def dates() -> tuple[dt.date, dt.date]:
    data = body()
    begin, end = _date(data.get("begin_date")), _date(data.get("end_date"))
    if begin > end or end >= beijing_day(state().now()) or (end - begin).days > 30:
        raise WxError(61501)
    return begin, end


def is_delayed(end: dt.date) -> bool:
    now = dt.datetime.fromtimestamp(state().now(), BEIJING)
    return end == now.date() - dt.timedelta(days=1) and now.hour + now.minute / 60 < state().settings.datacube_final_hour


def pieces() -> list[dict]:
    """What the caller sent or published: ``{"msg_data_id", "day", "publish_type", "titles"}``."""
    found = []
    for sent in store().sends(caller()):
        if sent["status"] == "SEND_SUCCESS":
            found.append({"msg_data_id": sent["msg_data_id"], "day": beijing_day(sent["finished_at"] or
                                                                                sent["created_at"]),
                          "publish_type": 0, "titles": [a.get("title", "") for a in sent["articles"]]})
    total, jobs = state().published(0, 10_000, caller())
    for job in jobs:
        found.append({"msg_data_id": job["publish_id"], "day": beijing_day(job["finished_at"] or job["created_at"]),
                      "publish_type": 1, "titles": [a.get("title", "") for a in job["articles"]]})
    return found


def totals(msgid: str, ref: dt.date, day: dt.date, partial: bool) -> dict:
    """The article's totals from publication to ``day`` (yesterday's increase only partly while delayed)."""
    since = (day - ref).days
    reads = reads_by(msgid, since)
    if partial:
        before = reads_by(msgid, since - 1) if since > 0 else 0
        reads = before + int((reads - before) * PARTIAL)
    sources: dict[int, int] = {}
    for code, _, share in SOURCE_SHARES:
        sources[code] = int(reads * share)
    sources[5] += reads - sum(sources.values())  # the rounding goes to "other": the parts add up to the total
    entry = {"stat_date": day.isoformat(), "read_user": reads,
             "read_user_source": [{"user_source": code, "read_user": n} for code, n in sources.items()]}
    entry.update({name: int(reads * fraction) for name, fraction in FRACTIONS.items()})
    return entry


@endpoint("datacube/getarticletotaldetail", on=datacube)
def getarticletotaldetail():
    require_verified()
    begin, end = dates()
    yesterday = beijing_day(state().now()) - dt.timedelta(days=1)
    delayed = is_delayed(yesterday)
    rows = []
    for piece in pieces():
        if not begin <= piece["day"] <= end:
            continue
        last = min(yesterday, piece["day"] + dt.timedelta(days=DAYS_KEPT - 1))
        for index, title in enumerate(piece["titles"], start=1):
            msgid = f"{piece['msg_data_id']}_{index}"
            days = [piece["day"] + dt.timedelta(days=n) for n in range((last - piece["day"]).days + 1)]
            rows.append({"ref_date": piece["day"].isoformat(), "msgid": msgid, "title": title,
                         "publish_type": piece["publish_type"],
                         "detail_list": [totals(msgid, piece["day"], day, delayed and day == yesterday)
                                         for day in days]})
    return {"list": rows, "is_delay": delayed}


def _per_day(begin: dt.date, end: dt.date, figure) -> list[dict]:
    """For each day between the dates, what ``figure(msgid, day)`` gives for the articles live then."""
    rows, found = [], pieces()
    for n in range((end - begin).days + 1):
        day = begin + dt.timedelta(days=n)
        for piece in found:
            since = (day - piece["day"]).days
            if 0 <= since < DAYS_KEPT:
                for index in range(1, len(piece["titles"]) + 1):
                    rows.extend(figure(f"{piece['msg_data_id']}_{index}", piece["day"], day))
    return rows


def _increase(msgid: str, ref: dt.date, day: dt.date) -> dict[str, int]:
    today, before = totals(msgid, ref, day, False), None
    if day > ref:
        before = totals(msgid, ref, day - dt.timedelta(days=1), False)
    return {k: today[k] - (before[k] if before else 0) for k in ("read_user", *FRACTIONS)}


@endpoint("datacube/getarticleread", on=datacube)
def getarticleread():
    require_verified()
    begin, end = dates()

    def figure(msgid, ref, day):
        reads = _increase(msgid, ref, day)["read_user"]
        return [{"ref_date": day.isoformat(), "msgid": msgid, "user_source": code, "read_user": int(reads * share)}
                for code, _, share in SOURCE_SHARES]
    return {"list": _per_day(begin, end, figure), "is_delay": is_delayed(end)}


@endpoint("datacube/getarticleshare", on=datacube)
def getarticleshare():
    require_verified()
    begin, end = dates()
    if begin != end:
        raise WxError(61501)  # a one-day range
    return {"list": _per_day(begin, end, lambda msgid, ref, day: [{
        "ref_date": day.isoformat(), "msgid": msgid, "share_user": _increase(msgid, ref, day)["share_user"]}]),
        "is_delay": is_delayed(end)}


@endpoint("datacube/getbizsummary", on=datacube)
def getbizsummary():
    require_verified()
    begin, end = dates()
    rows = []
    for n in range((end - begin).days + 1):
        day = begin + dt.timedelta(days=n)
        increases = _per_day(day, day, lambda msgid, ref, d: [_increase(msgid, ref, d)])
        rows.append({"ref_date": day.isoformat(), **{k: sum(i[k] for i in increases) for k in ("read_user", *FRACTIONS)}})
    return {"list": rows, "is_delay": is_delayed(end)}
