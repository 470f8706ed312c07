"""A month of scheduled and published issues, in the publisher's time zone; choose a day and a time to
schedule (or move) an issue there."""

from __future__ import annotations

import calendar as months
import datetime as dt
import zoneinfo

from flask import render_template, request

from wechat_pub.console.base import bp, site_of


@bp.get("/<account>/calendar")
def calendar(account: str):
    from wechat_pub.publish.status import calendar_overview, to_the_minute

    site = site_of(account)
    site.library.sync()
    zone = zoneinfo.ZoneInfo(site.timezone)
    today = dt.datetime.fromtimestamp(site.clock.time(), zone).date()
    month = _month(request.args.get("month"), today)
    weeks = months.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    first, last = weeks[0][0], weeks[-1][-1]
    since = dt.datetime.combine(first, dt.time(), zone).timestamp()
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).timestamp()
    rows, records = calendar_overview(site, since, until)  # the issues the weeks shown and the dialog need
    published = {number: record for number, record in records.items() if record.state.value in ("published", "sent")}
    days: dict[dt.date, list[dict]] = {}  # the days shown: each with its issues
    for row in rows:
        if row.publish_at:
            moment = dt.datetime.fromisoformat(row.publish_at).astimezone(zone)
        elif row.number in published:
            moment = dt.datetime.fromtimestamp(published[row.number].updated_at, zone)
        else:
            continue
        if first <= moment.date() <= last:
            days.setdefault(moment.date(), []).append({"row": row, "time": to_the_minute(moment)[-5:]})
    previous = (month.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    following = (month.replace(day=28) + dt.timedelta(days=7)).strftime("%Y-%m")
    return render_template("calendar.html", weeks=weeks, month=month, today=today, days=days, rows=rows,
                           previous=previous, following=following, timezone=site.timezone,
                           previous_date=_month(previous, today), following_date=_month(following, today))


YEARS = range(1970, 3000)  # the months a calendar shows (at year 1 or 9999 the weeks around it are no dates)


def _month(text: str | None, today: dt.date) -> dt.date:
    """The month asked for (YYYY-MM), or this month when it is not one the calendar shows."""
    try:
        month = dt.datetime.strptime(text or "", "%Y-%m").date()
    except ValueError:
        return today.replace(day=1)
    return month if month.year in YEARS else today.replace(day=1)
