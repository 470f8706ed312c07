"""The sync's rule for one article file, case by case: what this host last synced (base), what its folder holds
(here) and what the shared database holds decide what happens (wechat_pub/sync_rules.py)."""

from __future__ import annotations

import pytest

from wechat_pub.sync_rules import Action, Stored, decide

A, B, C = "hash-a", "hash-b", "hash-c"

TABLE = [
    # base, here, database, action, why
    (None, A, None, Action.IMPORT, "a new file here"),
    (A, A, None, Action.IMPORT, "synced before, but the database has no row (a new database)"),
    (A, A, Stored(A), Action.IN_STEP, "the same on both sides"),
    (None, A, Stored(A), Action.IN_STEP, "never synced here, but the same text"),
    (A, A, Stored(B), Action.WRITE, "changed in the database only"),
    (A, B, Stored(A), Action.IMPORT, "changed here only"),
    (A, B, Stored(C), Action.CONFLICT, "changed here and in the database"),
    (None, A, Stored(B), Action.CONFLICT, "never synced here, and different"),
    (A, A, Stored(A, removed=True), Action.REMOVE_FILE, "removed on another host, unchanged here"),
    (A, B, Stored(A, removed=True), Action.IMPORT, "removed elsewhere, but edited here: it comes back"),
    (None, A, Stored(A, removed=True), Action.IMPORT, "removed elsewhere, never synced here (or put back here)"),
    (None, None, Stored(A), Action.WRITE, "new from another host"),
    (A, None, Stored(A), Action.REMOVE_ROW, "deleted here, unchanged there"),
    (A, None, Stored(B), Action.RESTORE, "deleted here, changed there: it comes back"),
    (A, None, Stored(A, removed=True), Action.FORGET, "gone on both sides"),
    (None, None, Stored(A, removed=True), Action.FORGET, "removed elsewhere, never here"),
]


@pytest.mark.parametrize(("base", "here", "database", "action"), [case[:4] for case in TABLE],
                         ids=[case[4] for case in TABLE])
def test_decide(base, here, database, action):
    assert decide(base, here, database) is action


def test_an_issue_on_neither_side_is_a_caller_error():
    with pytest.raises(ValueError):
        decide("hash-a", None, None)


@pytest.mark.parametrize("here, database, base, kept", [
    ({"a.png": "h1"}, {"a.png": "d2"}, {"a.png": "h1"}, {"a.png"}),  # replaced elsewhere, not here: theirs stays
    ({"a.png": "h2"}, {"a.png": "d2"}, {"a.png": "h1"}, {"a.png"}),  # replaced on both: theirs stays, ours aside
    ({"a.png": "h2"}, {"a.png": "h1"}, {"a.png": "h1"}, set()),  # replaced here only: ours goes
    ({"a.png": "h1"}, {"a.png": "h1"}, {"a.png": "h1"}, set()),  # the same on both sides
    ({"a.png": "h1"}, {}, {"a.png": "h1"}, set()),  # the database has none: ours goes
    ({"a.png": "h1"}, {"a.png": "d2"}, {}, {"a.png"}),  # never synced here, another there: theirs stays, ours aside
])
def test_newer_elsewhere(here, database, base, kept):
    from wechat_pub.sync_rules import newer_elsewhere

    assert newer_elsewhere(here, database, base) == kept
