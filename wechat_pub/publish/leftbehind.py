"""A deployment moved to another state database (``state.database_url`` set after it ran on SQLite) whose earlier
records were not carried over: a push of an issue only the old file records would make a second draft (and a
second publish or send), so it is refused, saying how to carry them over (``wechat-pub db copy``)."""

from __future__ import annotations

from wechat_pub import model as m
from wechat_pub.publish.outcome import PushError
from wechat_pub.state.pushes import PushLedger, PushState


def refuse_if_left_behind(ledger: PushLedger, left_behind: PushLedger | None, issue: m.Issue) -> None:
    """An issue the state database has no record of, but the one the deployment used before has: pushing now
    would make it a second draft (and a second publish or send), so the records come over first."""
    if left_behind is None or ledger.get(issue.number) is not None:
        return
    where = left_behind.db.path
    try:
        earlier = left_behind.get(issue.number)
    except Exception as exc:  # (an older wechat-pub's file, locked, damaged: whether it has the issue is unknown)
        raise PushError(f"{where} cannot be read ({type(exc).__name__}); the state database now configured "
                        f"(state.database_url) has no record of issue {issue.number}, so whether it was pushed "
                        "before is unknown.",
                        f"If {where} is this deployment's earlier database: stop wechat-pub on every host and "
                        f"run `wechat-pub db copy {where}`. If it is not, move it out of the state folder.") from None
    if earlier is None or earlier.state is PushState.NEW:
        return
    raise PushError(f"issue {issue.number} was pushed before ({earlier.state.value}, draft "
                    f"{earlier.draft_media_id or '-'}), as {where} records; the state database now configured "
                    "(state.database_url) has no record of it, and pushing would make a second draft.",
                    f"Stop wechat-pub on every host, then carry the records over: `wechat-pub db copy {where}` "
                    "(README: Running on PostgreSQL and Redis). If that file is not this deployment's, move it "
                    "out of the state folder.")
