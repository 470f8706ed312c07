"""The console's people: users with a role and an argon2 password hash (argon2-cffi), and the throttle on
wrong passwords (kept in the state database, so every worker and host counts the same attempts). A new
password, a new role or removal ends every session of that user, in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.errors import UsageError
from wechat_pub.roles import ROLES
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import login_failures, users
from wechat_pub.state.sessions import end_sessions_of

MIN_PASSWORD = 8
_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: float

    def may(self, role: str) -> bool:
        """Whether this user has ``role`` or a stronger one."""
        return ROLES.index(self.role) >= ROLES.index(role)


class Users:
    def __init__(self, db: StateDatabase, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.clock = clock

    def add(self, name: str, role: str, password: str) -> User:
        _check_name(name), _check_role(role), _check_password(password)
        now = self.clock.time()
        row = {"name": name, "role": role, "password_hash": _hasher.hash(password), "created_at": now, "updated_at": now}
        with self.db.begin() as conn:
            if conn.execute(self.db.insert_ignore(users, row)).first() is None:
                raise UsageError(f"there is already a user {name!r}.", "Pick another name, or change their password "
                                                                       "with `wechat-pub user passwd`.")
        return User(name, role, now)

    def remove(self, name: str) -> None:
        """Remove ``name`` and end their sessions (a user made later with the same name opens none of them)."""
        with self.db.begin() as conn:
            if conn.execute(delete(users).where(users.c.name == name)).rowcount != 1:
                raise _no_such_user(name)
            end_sessions_of(conn, name)

    def set_password(self, name: str, password: str) -> None:
        """A new password for ``name``; every session they had ends."""
        _check_password(password)
        self._change(name, password_hash=_hasher.hash(password))

    def set_role(self, name: str, role: str) -> None:
        """A new role for ``name``; every session they had ends (they sign in again, as what they are now)."""
        _check_role(role)
        self._change(name, role=role)

    def end_sessions(self, name: str) -> int:
        """Sign ``name`` out everywhere (a lost laptop, a copied cookie); how many sessions ended."""
        with self.db.begin() as conn:
            if conn.execute(select(users.c.name).where(users.c.name == name)).first() is None:
                raise _no_such_user(name)
            return end_sessions_of(conn, name)

    def _change(self, name: str, **values) -> None:
        with self.db.begin() as conn:
            changed = conn.execute(update(users).where(users.c.name == name).values(
                **values, updated_at=self.clock.time())).rowcount
            if changed != 1:
                raise _no_such_user(name)
            end_sessions_of(conn, name)

    def get(self, name: str) -> User | None:
        with self.db.connect() as conn:
            row = conn.execute(select(users.c.name, users.c.role, users.c.created_at).where(users.c.name == name)).first()
        return User(*row) if row else None

    def all(self) -> list[User]:
        with self.db.connect() as conn:
            rows = conn.execute(select(users.c.name, users.c.role, users.c.created_at).order_by(users.c.name)).all()
        return [User(*row) for row in rows]

    def count(self) -> int:
        with self.db.connect() as conn:
            return conn.execute(select(func.count()).select_from(users)).scalar_one()

    def verify(self, name: str, password: str) -> User | None:
        """The user, when the password is theirs; None otherwise (the same time either way)."""
        with self.db.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        stored = row.password_hash if row else _dummy_hash()
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if _hasher.check_needs_rehash(stored):  # the same password, hashed anew: no session needs to end
            with self.db.begin() as conn:
                conn.execute(update(users).where(users.c.name == name).values(password_hash=_hasher.hash(password)))
        return User(row.name, row.role, row.created_at)


@cache
def _dummy_hash() -> str:
    """What an unknown user's password is checked against. Made on first need, not on import: every process
    that imports this module (each CLI command, each worker) would pay a full hash for it at start."""
    return _hasher.hash("an unknown user takes as long as a wrong password")


def _no_such_user(name: str) -> UsageError:
    return UsageError(f"there is no user {name!r}.", "`wechat-pub user list` shows who there is.")


def _check_name(name: str) -> None:
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
        raise UsageError(f"{name!r} is not a usable user name.", "Use letters, digits, '.', '_', '-' or '@'.")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UsageError(f"{role!r} is not a role.", f"Roles: {', '.join(ROLES)}.")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password is too short ({len(password)} characters).",
                         f"Use at least {MIN_PASSWORD} characters.")


@dataclass(frozen=True)
class Lock:
    """A name or an address that may not sign in until ``until`` (a Unix time)."""

    key: str  # "user:<name>" or "address:<address>"
    until: float

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def who(self) -> str:
        return self.key.split(":", 1)[1]


@dataclass(frozen=True)
class Attempt:
    """A sign-in counted: ``refused`` when a lock or a hold was found (its password is not checked); the keys it
    brought to their limit (locked if its password is wrong)."""

    refused: Lock | None
    reached: list[str]


class LoginThrottle:
    """Wrong passwords, counted per user name and per address within :data:`WINDOW` seconds; a name or an
    address over its limit waits :data:`BLOCK` seconds. A name's limit is small (:data:`PER_NAME`: guessing one
    person's password stops early); an address's is large (``per_address``, ``console.sign_in_limit_per_address``),
    because a whole office signs in from one address behind its NAT, and one colleague's typos must not lock out
    the others."""

    PER_NAME, WINDOW, BLOCK = 5, 900.0, 300.0
    CHECKING = 10.0  # seconds a name at its limit is held while its last attempt's password is checked

    def __init__(self, db: StateDatabase, clock: Clock = SYSTEM_CLOCK, per_address: int = 50):
        self.db = db
        self.clock = clock
        self.per_address = per_address

    @staticmethod
    def keys(name: str, address: str) -> list[str]:
        """The keys one sign-in counts against: its name's and its address's."""
        return [f"user:{name.lower()}", f"address:{address}"]

    def limit(self, key: str) -> int:
        return self.per_address if key.startswith("address:") else self.PER_NAME

    def blocked(self, keys: list[str]) -> Lock | None:
        """The lock (of those on ``keys``) that ends last, or None when these may try now."""
        now = self.clock.time()
        with self.db.connect() as conn:
            row = conn.execute(select(login_failures.c.key, login_failures.c.blocked_until).where(
                login_failures.c.key.in_(keys), login_failures.c.blocked_until > now)
                .order_by(login_failures.c.blocked_until.desc()).limit(1)).first()
        return Lock(*row) if row else None

    def wait_for(self, keys: list[str]) -> float:
        """Seconds until these may try again (0: now)."""
        lock = self.blocked(keys)
        return lock.until - self.clock.time() if lock else 0.0

    def attempt(self, keys: list[str]) -> Attempt:
        """Count a sign-in against each key *before* its password is checked: the check takes about a fifth of a
        second, and attempts sent at once all passed a lock looked at before it (20 at once were 20 checks of a
        name whose limit is 5). A name that reaches its limit is held for :data:`CHECKING` seconds while this
        attempt is checked (a lock of :data:`BLOCK` if it is wrong: :meth:`failed`); one that finds a name or an
        address held is refused unchecked, and not counted. An address (a whole office) is locked only after a
        wrong password: a colleague's right one must not hold the others up."""
        now, reached, refused = self.clock.time(), [], None
        with self.db.begin() as conn:
            # every count whose window is over goes (not only these keys': a name typed once, perhaps a password
            # typed into the name field, is not kept past its window)
            conn.execute(delete(login_failures).where(login_failures.c.first_at < now - self.WINDOW,
                                                      login_failures.c.blocked_until <= now))
            for key in keys:  # (writes first: the transaction holds the rows it counts; on SQLite, the file)
                conn.execute(self.db.insert_ignore(login_failures, {"key": key, "failures": 0, "first_at": now,
                                                                    "blocked_until": 0}))
                self._add(conn, key, 1)
                row = conn.execute(select(login_failures.c.failures, login_failures.c.blocked_until)
                                   .where(login_failures.c.key == key)).first()
                failures, until = row if row is not None else (1, 0.0)  # (its window ended in another's cleanup)
                if until > now:
                    if refused is None or until > refused.until:  # (the one that ends last is said)
                        refused = Lock(key, until)
                elif failures >= self.limit(key):
                    reached.append(key)
            if refused is not None:  # (not counted: it was never checked)
                for key in keys:
                    self._add(conn, key, -1)
                return Attempt(refused, [])
            for key in reached:
                if key.startswith("user:"):
                    conn.execute(update(login_failures).where(login_failures.c.key == key)
                                 .values(blocked_until=now + self.CHECKING))
        return Attempt(None, reached)

    def failed(self, attempt: Attempt) -> list[Lock]:
        """A wrong password: the keys its attempt brought to their limit are locked; the locks."""
        until = self.clock.time() + self.BLOCK
        with self.db.begin() as conn:
            for key in attempt.reached:
                conn.execute(update(login_failures).where(login_failures.c.key == key).values(blocked_until=until))
        return [Lock(key, until) for key in attempt.reached]

    def succeeded(self, keys: list[str]) -> None:
        """A right password clears its name's count (and its hold), and takes its own attempt back from its
        address's count: not the address's other attempts, or anyone with an account of their own could reset the
        address's count between guesses at another's password."""
        name_key, address_key = keys
        with self.db.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.key == name_key))
            self._add(conn, address_key, -1)

    @staticmethod
    def _add(conn, key: str, change: int) -> None:
        conn.execute(update(login_failures).where(login_failures.c.key == key, login_failures.c.failures + change >= 0)
                     .values(failures=login_failures.c.failures + change))

    def locks(self) -> list[Lock]:
        """The names and addresses locked now, the one locked longest first."""
        with self.db.connect() as conn:
            rows = conn.execute(select(login_failures.c.key, login_failures.c.blocked_until)
                                .where(login_failures.c.blocked_until > self.clock.time())
                                .order_by(login_failures.c.blocked_until.desc())).all()
        return [Lock(*row) for row in rows]

    def lift(self, key: str) -> bool:
        """An admin lifts a lock (and forgets its count); whether there was one."""
        with self.db.begin() as conn:
            return conn.execute(delete(login_failures).where(login_failures.c.key == key)).rowcount > 0
