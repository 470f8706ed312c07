"""What followers ask: top queries and those that found nothing over a chosen period, a chart of queries per
day (an SVG drawn here: a handful of bars needs no library), and the period as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import zoneinfo
from html import escape
from itertools import islice

from flask import Response, render_template, request, stream_with_context
from flask_babel import gettext as _

from wechat_pub.console.base import bp, site_of

PERIODS = (7, 30, 90, 365)


@bp.get("/<account>/followers")
def followers(account: str):
    site = site_of(account)
    days = days_asked()
    since = site.clock.time() - days * 86400
    log = site.query_log
    per_day = _per_day(log.per_day(since, zoneinfo.ZoneInfo(site.timezone)), site.timezone, days, site.clock.time())
    top, unanswered = log.tops(20, since)
    return render_template("followers.html", days=days, periods=PERIODS, top=top,
                           unanswered=unanswered, chart=bar_chart(per_day), candidates=_candidates(site, unanswered),
                           total=sum(count for _, count in per_day))


def _candidates(site, unanswered) -> list:
    """Unanswered queries close to the archive's words (other names to confirm); none until the webhook or
    `wechat-pub index` has made the search index (the page does not build it)."""
    from wechat_pub.bot.aliases import alias_candidates

    archive = site.archive()
    return alias_candidates(archive, unanswered) if unanswered and archive.index_path.exists() else []


@bp.get("/<account>/followers.csv")
def followers_csv(account: str):
    """The period's queries, streamed as the database sends them (a year is millions of rows: never held)."""
    site = site_of(account)
    days = days_asked()
    rows = site.query_log.each_entry(site.clock.time() - days * 86400)
    name = f"queries-{site.name}-{days}d.csv"
    return Response(stream_with_context(csv_lines(rows, zoneinfo.ZoneInfo(site.timezone))),
                    content_type="text/csv; charset=utf-8", headers={"Content-Disposition": f"attachment; filename={name}"})


def csv_lines(rows, zone: zoneinfo.ZoneInfo, batch: int = 2000):
    """The CSV's text in pieces of ``batch`` rows: a BOM (Excel then reads UTF-8), the header, then each
    query, every cell through :func:`spreadsheet_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(["time", "query", "matches", "follower (salted hash)"])
    local_time, cell = LocalTime(zone), spreadsheet_cell
    yield buffer.getvalue()
    rows = iter(rows)
    while piece := list(islice(rows, batch)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([(cell(local_time(at)), cell(query), cell(matches), cell(follower))
                          for at, query, matches, follower in piece])
        yield buffer.getvalue()


class LocalTime:
    """A time as the zone's ISO 8601 to the second (``2026-12-05T21:30:00+08:00``), as datetime writes it, with
    the zone consulted once per quarter hour, not per row (a year's CSV is millions of rows): within a quarter
    hour of the epoch the offset stays (zones change offset on quarter hours) and only minutes and seconds move."""

    def __init__(self, zone: zoneinfo.ZoneInfo):
        self.zone = zone
        self._start = -1  # the quarter hour known: its first second, local "YYYY-MM-DDTHH:", minute, offset
        self._prefix, self._minute, self._offset = "", 0, ""

    def __call__(self, at: float) -> str:
        second = math.floor(at)
        into = second - self._start
        if not 0 <= into < 900:
            if not self._learn(second):
                return dt.datetime.fromtimestamp(at, self.zone).isoformat(timespec="seconds")
            into = second - self._start
        return f"{self._prefix}{self._minute + into // 60:02d}:{into % 60:02d}{self._offset}"

    def _learn(self, second: int) -> bool:
        """Whether the quarter hour holding ``second`` has a whole-quarter offset (an old local mean time does not)."""
        start = second - second % 900
        moment = dt.datetime.fromtimestamp(start, self.zone)
        if moment.utcoffset().total_seconds() % 900:
            return False
        text = moment.isoformat(timespec="seconds")
        self._start, self._prefix, self._minute, self._offset = start, text[:14], moment.minute, text[19:]
        return True


# What makes Excel, WPS and LibreOffice read a cell as a formula (or as the start of one): the ASCII marks and,
# for WPS with a Chinese input method, their full-width twins; a tab or carriage return starts a new cell first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def spreadsheet_cell(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text: one that could start a formula (a follower typed
    ``=HYPERLINK(…)``) gets a leading ``'``, which spreadsheets take as "text" and do not show."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def days_asked(default: int = 30) -> int:
    """The period a page or export covers: ?days=, 1 to 366 (anything else: ``default``)."""
    try:
        days = int(request.args.get("days", default))
    except ValueError:
        days = default
    return min(max(days, 1), 366)


def _per_day(counted, timezone: str, days: int, now: float) -> list[tuple[dt.date, int]]:
    """(date, queries) of each local day of the last ``days``, from local date -> queries."""
    last = dt.datetime.fromtimestamp(now, zoneinfo.ZoneInfo(timezone)).date()
    return [(day, counted.get(day, 0)) for day in (last - dt.timedelta(days=n) for n in range(days - 1, -1, -1))]


def bar_chart(per_day: list[tuple[dt.date, int]], width: int = 720, height: int = 180) -> str:
    """Queries per day as an inline SVG: one bar a day, the busiest day's count on the scale."""
    top = max((count for _, count in per_day), default=0) or 1
    gap, left, bottom = 2, 36, 20
    bar = max(1.0, (width - left) / max(len(per_day), 1) - gap)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(_("queries per day"))}" class="chart">',
             f'<text x="0" y="12" font-size="11">{top}</text><text x="0" y="{height - bottom}" font-size="11">0</text>',
             f'<line x1="{left - 4}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#999"/>']
    for index, (day, count) in enumerate(per_day):
        tall = (height - bottom - 8) * count / top
        x = left + index * (bar + gap)
        parts.append(f'<rect x="{x:.1f}" y="{height - bottom - tall:.1f}" width="{bar:.1f}" height="{tall:.1f}" '
                     f'fill="#1f4e79"><title>{escape(day.isoformat())}: {count}</title></rect>')
    for index, (day, _count) in enumerate(per_day):
        if index % max(1, len(per_day) // 6) == 0:
            parts.append(f'<text x="{left + index * (bar + gap):.1f}" y="{height - 4}" font-size="10">'
                         f'{day.strftime("%m-%d")}</text>')
    parts.append("</svg>")
    return "".join(parts)
