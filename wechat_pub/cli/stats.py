"""`wechat-pub stats`: what was read, shared and liked. It first collects whatever is due (so it works without the
service running), then prints every issue's figures, or one issue's."""

from __future__ import annotations

import click

from wechat_pub.cli.context import with_site
from wechat_pub.cli.output import err, out, rx

LABELS = (("share_user", "shares"), ("like_user", "likes"), ("zaikan_user", "在看"), ("comment_count", "comments"),
          ("collection_user", "favourites"))


def figures_lines(reach) -> list[str]:
    """An issue's figures in words: the same lines for `stats` and the weekly note."""
    latest = reach.latest
    sources = ", ".join(f"{name} {count}" for name, count in reach.by_source().items())
    others = ", ".join(f"{label} {latest[key]}" for key, label in LABELS)
    firsts = " · ".join(f"{days}d {'–' if reach.reads_in(days) is None else reach.reads_in(days)}"
                        for days in (1, 3, 7, 30))
    return [f"read users {latest['read_user']}: {sources}", others, f"reads in the first days: {firsts}"]


@click.command("stats")
@click.argument("file", required=False, type=click.Path())
@with_site
def stats_command(site, file: str | None) -> None:
    """Reads (by source), shares, likes, 在看, comments and favourites of every sent or published issue."""
    from wechat_pub.analytics.collect import collect_due
    from wechat_pub.analytics.figures import issue_reach

    number = None
    if file:
        from wechat_pub.publish.actions import issue_of

        number = issue_of(site, file).number
    collected = collect_due(site, wait=30)
    if collected.fetched:
        err.print(f"collected: {collected.fetched} call(s), {collected.rows} day total(s)")
    for note in collected.notes:
        err.print(f"note: {rx(note)}")
    standing, _ = site.analytics.note()
    if standing:
        out.print(f"note: {rx(standing)}")
    shown = [reach for reach in issue_reach(site) if number in (None, reach.issue)]
    if not shown:
        which = f"issue {number}" if number else "any issue"
        out.print(f"no figures for {which} yet: WeChat has them the day after an issue is sent or published "
                  "(after analytics.collect_after); run it again then.")
        return
    for reach in shown:
        delayed = " (not final yet: WeChat is still counting)" if reach.delayed else ""
        ago = "today" if reach.days_since == 0 else f"{reach.days_since} day(s) ago"
        parts = f", {reach.parts} parts" if reach.parts > 1 else ""
        out.print(f"issue {reach.issue}  {rx(reach.title)}")
        out.print(f"  out {reach.ref_date} ({ago}{parts}), figures to {reach.curve[-1][0] + 1} day(s){delayed}")
        for line in figures_lines(reach):
            out.print(f"  {rx(line)}")


COMMANDS = (stats_command,)
