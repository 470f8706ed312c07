"""What the running service does for analytics on every beat of the scheduler (the leader's): collect what is
due, then send the weekly note when its time came."""

from __future__ import annotations

from wechat_pub.analytics.collect import collect_due
from wechat_pub.analytics.weekly import send_weekly_due


def run_due(site) -> list[str]:
    """Collect ``site``'s due figures and send its weekly note if due; what happened, in words."""
    said = []
    collected = collect_due(site)
    if collected.fetched:
        said.append(f"collected {collected.fetched} day(s) of figures ({collected.rows} totals)")
    said.extend(collected.notes)
    weekly = send_weekly_due(site)
    if weekly:
        said.append(weekly)
    return said
