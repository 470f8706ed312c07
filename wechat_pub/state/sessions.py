"""The console's sessions, kept server-side (issue 21): the cookie carries only a random token, signed; this
store decides whether it still opens a session. A session ends at sign-out, after an idle time and after an
absolute time (judged with the injected clock), and every session of a user ends when their password or role
changes, when they are removed, or when they (or an admin) sign them out everywhere. A forged or replayed
cookie for an ended session opens nothing, whoever signed it."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, or_, select, update

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import console_sessions

TOUCH_EVERY = 60.0  # seconds: how stale ``seen_at`` may get before a request writes it again (one write a minute)


class Sessions:
    def __init__(self, db: StateDatabase, clock: Clock = SYSTEM_CLOCK, idle_hours: float = 12.0,
                 max_days: float = 7.0):
        self.db = db
        self.clock = clock
        self.idle_seconds = idle_hours * 3600
        self.max_seconds = max_days * 86400

    def start(self, user: str) -> str:
        """A new session of ``user``: its token, for the cookie (stored only as a hash). Ended sessions of
        anyone are swept away on the way."""
        token = secrets.token_urlsafe(32)
        now = self.clock.time()
        with self.db.begin() as conn:
            conn.execute(delete(console_sessions).where(self._over(now)))
            conn.execute(console_sessions.insert().values(token_hash=_hash(token), user=user, created_at=now,
                                                          seen_at=now))
        return token

    def user_of(self, token: str) -> str | None:
        """The user whose live session ``token`` opens; None when it is unknown, ended or timed out (a timed-out
        session is ended here). Every request asks this, so the idle time counts from the last one."""
        if not token:
            return None
        now, key = self.clock.time(), _hash(token)
        with self.db.connect() as conn:
            row = conn.execute(select(console_sessions).where(console_sessions.c.token_hash == key)).first()
        if row is None:
            return None
        if self._timed_out(row, now):
            self.end(token)
            return None
        if now - row.seen_at > TOUCH_EVERY:
            with self.db.begin() as conn:
                conn.execute(update(console_sessions).where(console_sessions.c.token_hash == key).values(seen_at=now))
        return row.user

    def end(self, token: str) -> None:
        """Sign this session out (its cookie, saved anywhere, opens nothing any more)."""
        with self.db.begin() as conn:
            conn.execute(delete(console_sessions).where(console_sessions.c.token_hash == _hash(token)))

    def _timed_out(self, row, now: float) -> bool:
        return now - row.seen_at > self.idle_seconds or now - row.created_at > self.max_seconds

    def _over(self, now: float):
        return or_(console_sessions.c.seen_at < now - self.idle_seconds,
                   console_sessions.c.created_at < now - self.max_seconds)


def end_sessions_of(conn, user: str) -> int:
    """End every session of ``user``, in the caller's transaction (the user store's changes end them with the
    change itself, so no path that changes a password, a role or removes a user can forget it; its
    ``end_sessions`` is "sign out everywhere")."""
    return conn.execute(delete(console_sessions).where(console_sessions.c.user == user)).rowcount


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
