"""What followers ask: top queries and those that found nothing over a chosen period, a chart of queries per
day (an SVG drawn here: a handful of bars needs no library), and the period as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections import Counter
from html import escape

from flask import Response, render_template, request
from flask_babel import gettext as _

from wechat_pub.console.base import bp, site_of

PERIODS = (7, 30, 90, 365)


@bp.get("/<account>/followers")
def followers(account: str):
    site = site_of(account)
    days = _days()
    since = site.clock.time() - days * 86400
    log = site.query_log
    per_day = _per_day(log.entries(since), site.timezone, days, site.clock.time())
    unanswered = log.top(20, since, unanswered=True)
    return render_template("followers.html", days=days, periods=PERIODS, top=log.top(20, since),
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
    site = site_of(account)
    days = _days()
    zone = zoneinfo.ZoneInfo(site.timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["time", "query", "matches", "follower (salted hash)"])
    for at, query, matches, follower in site.query_log.entries(site.clock.time() - days * 86400):
        row = [dt.datetime.fromtimestamp(at, zone).isoformat(timespec="seconds"), query, matches, follower]
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    name = f"queries-{site.name}-{days}d.csv"
    return Response("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8",  # BOM: Excel reads UTF-8
                    headers={"Content-Disposition": f"attachment; filename={name}"})


# What makes Excel, WPS and LibreOffice read a cell as a formula (or as the start of one): the ASCII marks and,
# for WPS with a Chinese input method, their full-width twins; a tab or carriage return starts a new cell first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def spreadsheet_cell(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text: one that could start a formula (a follower typed
    ``=HYPERLINK(…)``) gets a leading ``'``, which spreadsheets take as "text" and do not show."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _days() -> int:
    try:
        days = int(request.args.get("days", 30))
    except ValueError:
        days = 30
    return min(max(days, 1), 366)


def _per_day(entries, timezone: str, days: int, now: float) -> list[tuple[dt.date, int]]:
    zone = zoneinfo.ZoneInfo(timezone)
    counted = Counter(dt.datetime.fromtimestamp(at, zone).date() for at, *_ in entries)
    last = dt.datetime.fromtimestamp(now, zone).date()
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
