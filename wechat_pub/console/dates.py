"""Dates and times on the console's pages, as people write them in the page's language (Babel's data):
``2026年12月8日 周二 09:00`` in Chinese, ``Tue 8 Dec 2026 09:00`` in English. Every time on a page is in one zone,
the page's (:func:`page_zone`: the account's publisher zone, else the deployment's), named once in the footer
(:func:`zone_words`), never beside each value; no ISO timestamp with an offset reaches a page."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from babel.dates import format_datetime, get_day_names, get_timezone_location
from flask import Flask, current_app, g

from wechat_pub.console.base import deployment

# The patterns (CLDR's) people of each language write a moment, a day and a month in.
PATTERNS = {
    "zh_CN": {"moment": "y年M月d日 EEE HH:mm", "day": "y年M月d日 EEE", "month": "y年M月", "short": "M月d日 HH:mm"},
    "en": {"moment": "EEE d MMM y HH:mm", "day": "EEE d MMM y", "month": "MMMM y", "short": "d MMM HH:mm"},
}


def page_zone() -> zoneinfo.ZoneInfo:
    site = g.get("site")
    return zoneinfo.ZoneInfo(site.timezone if site else deployment().timezone)


def _language() -> str:
    from wechat_pub.console.i18n import request_language

    language = request_language(current_app.config["BABEL_DEFAULT_LOCALE"])
    return language if language in PATTERNS else "en"


def written(moment: dt.datetime | float | str | None, form: str = "moment") -> str:
    """``moment`` (a Unix time, an aware datetime or an ISO text) in the page's zone and language; "" for none."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, (int, float)):
        moment = dt.datetime.fromtimestamp(moment, dt.timezone.utc)
    elif isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if isinstance(moment, dt.date) and not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(12), page_zone())
    zone = page_zone()
    return format_datetime(moment.astimezone(zone), PATTERNS[_language()][form], tzinfo=zone, locale=_language())


def weekday_names() -> list[str]:
    """Monday to Sunday, short (周一 … 周日, Mon … Sun)."""
    names = get_day_names("abbreviated", locale=_language())
    return [names[day] for day in range(7)]


def zone_words() -> str:
    """The page's zone as its people name it, with its IANA name: 中国（上海）时间 (Asia/Shanghai)."""
    zone = page_zone()
    return f"{get_timezone_location(zone, locale=_language())} ({zone.key})"


def local_input(iso: str | None) -> str:
    """A publish time for a ``datetime-local`` field: the page's zone, no offset (the form says which zone)."""
    if not iso:
        return ""
    return dt.datetime.fromisoformat(iso).astimezone(page_zone()).strftime("%Y-%m-%dT%H:%M")


def init_dates(app: Flask) -> None:
    app.add_template_filter(written, "when")
    app.add_template_filter(lambda moment: written(moment, "day"), "day")
    app.add_template_filter(lambda moment: written(moment, "month"), "month")
    app.add_template_filter(lambda moment: written(moment, "short"), "short_when")
    app.add_template_filter(local_input, "local_input")
    app.add_template_global(weekday_names, "weekday_names")
    app.add_template_global(zone_words, "zone_words")
