"""Who did what, and when: every console action (and user management from the command line)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, exists, insert, select

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import approvals, audit, issues


@dataclass(frozen=True)
class Entry:
    at: float
    user: str
    appid: str
    action: str
    issue: int
    detail: str


class AuditLog:
    def __init__(self, db: StateDatabase, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.clock = clock

    def record(self, user: str, action: str, appid: str = "", issue: int = 0, detail: str = "") -> None:
        with self.db.begin() as conn:
            conn.execute(insert(audit).values(at=self.clock.time(), user=user, appid=appid, action=action,
                                              issue=issue, detail=detail[:2000]))

    def recent(self, limit: int = 200, appid: str | None = None, issue: int | None = None,
               but: frozenset[str] = frozenset()) -> list[Entry]:
        """The newest ``limit`` entries (of one account, of one issue), but the actions in ``but``."""
        statement = select(audit.c.at, audit.c.user, audit.c.appid, audit.c.action, audit.c.issue, audit.c.detail)
        if but:
            statement = statement.where(audit.c.action.not_in(sorted(but)))
        if appid is not None:
            statement = statement.where(audit.c.appid == appid)
        if issue is not None:
            statement = statement.where(audit.c.issue == issue)
        with self.db.connect() as conn:
            rows = conn.execute(statement.order_by(audit.c.id.desc()).limit(limit)).all()
        return [Entry(*row) for row in rows]


@dataclass(frozen=True)
class Approval:
    text_hash: str
    by: str
    at: float


class Approvals:
    """An approver's yes to one version of an issue: an edit after it needs a new one."""

    def __init__(self, db: StateDatabase, appid: str, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.appid = appid
        self.clock = clock

    def approve(self, issue: int, text_hash: str, by: str, version: int | None = None) -> bool:
        """Approve ``issue`` as of ``text_hash``; with ``version``, only while the issue is at that version (the one
        the approver saw: its text or pictures saved meanwhile, nothing is approved), in one statement. Whether it
        was."""
        row = {"appid": self.appid, "issue": issue, "text_hash": text_hash, "by": by, "at": self.clock.time()}
        with self.db.begin() as conn:
            if version is None:
                conn.execute(self.db.upsert(approvals, row))
                return True
            current = exists().where(issues.c.appid == self.appid, issues.c.number == issue,
                                     issues.c.version == version)
            return conn.execute(self.db.upsert_if(approvals, row, current)).first() is not None

    def withdraw(self, issue: int) -> bool:
        """Take back the approval of ``issue`` (what it shows changed without its text); whether there was one."""
        with self.db.begin() as conn:
            return conn.execute(delete(approvals).where(approvals.c.appid == self.appid,
                                                        approvals.c.issue == issue)).rowcount > 0

    def get(self, issue: int) -> Approval | None:
        with self.db.connect() as conn:
            row = conn.execute(select(approvals.c.text_hash, approvals.c.by, approvals.c.at).where(
                approvals.c.appid == self.appid, approvals.c.issue == issue)).first()
        return Approval(*row) if row else None

    def all(self, low: int | None = None, high: int | None = None) -> dict[int, Approval]:
        """Issue -> its approval, of every issue; with ``low`` and ``high``, of issues ``low`` to ``high``."""
        statement = (select(approvals.c.issue, approvals.c.text_hash, approvals.c.by, approvals.c.at)
                     .where(approvals.c.appid == self.appid))
        if low is not None:
            statement = statement.where(approvals.c.issue >= low, approvals.c.issue <= high)
        with self.db.connect() as conn:
            rows = conn.execute(statement).all()
        return {row.issue: Approval(row.text_hash, row.by, row.at) for row in rows}
