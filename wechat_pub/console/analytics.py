"""The 效果 / Reach page: what was read, shared and liked, beside what followers asked. Issues over time (readers
in their first 1, 3, 7 and 30 days), one issue's readers by source day by day, the period's best items by the
followers' queries that found them, the queries that found nothing beside the issues that went out after them,
and the figures as CSV. The page reads what the service collected (:mod:`wechat_pub.analytics.collect`); it
never calls WeChat. Its reads are bounded: one query for the figures, one for the issues' titles, two over the
query log of the period (indexed by account and time)."""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request
from flask_babel import gettext as _

from wechat_pub.analytics.figures import (
    MILESTONES,
    SOURCES,
    TOP_QUERIES,
    best_items,
    issue_reach,
    unanswered_queries,
)
from wechat_pub.console.base import bp, site_of
from wechat_pub.console.charts import grouped_bars, stacked_columns
from wechat_pub.console.followers import days_asked, spreadsheet_cell

PERIODS = (7, 30, 90)
OVER_TIME = 12  # issues in the "over time" chart
UNANSWERED = 20  # queries that found nothing, shown


def source_labels() -> list[str]:
    names = {"chat": _("chat"), "home": _("home page"), "share": _("shares"), "search": _("search"),
             "other": _("other")}
    return [names[source] for source in SOURCES]


@bp.get("/<account>/reach")
def analytics(account: str):
    site = site_of(account)
    days = days_asked(7)
    since = site.clock.time() - days * 86400
    reach = issue_reach(site)
    chosen = _chosen(reach)
    note, _at = site.analytics.note()
    if site.archive().index_path.exists():  # the best items search the most asked (none without the index)
        asked, unanswered = site.query_log.tops((TOP_QUERIES, UNANSWERED), since)  # read together
    else:
        asked, unanswered = [], site.query_log.top(UNANSWERED, since, unanswered=True)
    return render_template("analytics.html", days=days, periods=PERIODS, reach=reach, chosen=chosen,
                           milestones=MILESTONES, sources=SOURCES, source_labels=source_labels(), note=note,
                           over_time=over_time_chart(reach), curve=curve_chart(chosen) if chosen else "",
                           best=best_items(site, since, top=asked),
                           unanswered=unanswered_queries(site, since, reach, UNANSWERED, top=unanswered))



def _chosen(reach):
    """The issue whose curve is shown: ?issue=N when it has figures, else the newest."""
    wanted = request.args.get("issue", "")
    found = next((r for r in reach if wanted.isascii() and wanted.isdigit() and r.issue == int(wanted)), None)
    return found or (reach[0] if reach else None)


def over_time_chart(reach) -> str:
    shown = list(reversed(reach[:OVER_TIME]))  # oldest on the left
    series = [_("first %(days)d day(s)", days=days) for days in MILESTONES]
    return grouped_bars(_("Readers in each issue's first days"),
                        [(str(r.issue), [r.reads_in(days) for days in MILESTONES]) for r in shown], series)


def curve_chart(chosen) -> str:
    columns = []
    for day, totals in chosen.curve:
        columns.append((f"+{day + 1}", [totals[f"read_{s}"] for s in SOURCES]))
    return stacked_columns(_("Issue %(issue)d: readers by source, day by day", issue=chosen.issue), columns,
                           source_labels())


CSV_COLUMNS = ("issue", "title", "out", "days since", "read users", *(f"read: {s}" for s in SOURCES), "shares",
               "likes", "zaikan", "comments", "favourites", *(f"read users, first {d} day(s)" for d in MILESTONES))


@bp.get("/<account>/reach.csv")
def analytics_csv(account: str):
    site = site_of(account)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for r in issue_reach(site):
        latest = r.latest
        row = [r.issue, r.title, r.ref_date, r.days_since, latest["read_user"], *r.by_source().values(),
               latest["share_user"], latest["like_user"], latest["zaikan_user"], latest["comment_count"],
               latest["collection_user"], *("" if r.reads_in(d) is None else r.reads_in(d) for d in MILESTONES)]
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return Response("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8",  # BOM: Excel reads UTF-8
                    headers={"Content-Disposition": f"attachment; filename=reach-{site.name}.csv"})
