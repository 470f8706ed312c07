"""The sync's rule for one article file, case by case: what this host last synced (base), what its folder holds
(here) and what the shared database holds decide what happens (wechat_pub/sync_rules.py)."""

from __future__ import annotations

import pytest

from wechat_pub.sync_rules import Action, Stored, base_of_file, decide

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
    (None, A, Stored(A, removed=True), Action.IMPORT, "removed elsewhere, never synced here"),
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


BASES = [
    # here, database, own (under the file's name), under the issue's name in the database, base, why
    (A, Stored(A), A, None, A, "the file as last synced, under its name"),
    (B, Stored(A), A, None, A, "changed here, under its name"),
    (A, Stored(B), A, C, A, "unchanged here; the database has the issue under a name another host gave it"),
    (B, Stored(C), A, C, C, "renumbered or renamed here: its name's record is another issue's (a swap)"),
    (B, Stored(C, removed=True), A, C, C, "renumbered here to an issue removed since"),
    (B, None, A, None, A, "no row: whatever was recorded"),
    (B, Stored(C), A, None, A, "neither side kept what was synced: decide() answers the same for any other base"),
]


@pytest.mark.parametrize(("here", "database", "own", "under_its_name", "base"), [case[:5] for case in BASES],
                         ids=[case[5] for case in BASES])
def test_base_of_file(here, database, own, under_its_name, base):
    assert base_of_file(here, database, own, under_its_name) == base
