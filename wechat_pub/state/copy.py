"""Carry a deployment's records from one state database into another (SQLite to PostgreSQL when it grows to
several hosts): every table, in the order their references need, into a database that holds none of the team's
records yet. Pushes, drafts, sends, the schedule's runs, users, the audit log and the query log all come along,
so nothing is pushed, published or sent a second time for want of its record.
"""

from __future__ import annotations

from sqlalchemy import func, select, text

from wechat_pub.errors import WechatPubError
from wechat_pub.state.database import StateDatabase, shown_url
from wechat_pub.state.schema import metadata

NOT_CARRIED = ("locks", "tokens")  # leases and access tokens: each database makes its own
# the query salt (the source's: the logged followers' hashes were made with it), and the issues any command copies
# in from the articles folder (the source's carry their console edits and approvals' versions; the folder is
# synced again after)
REPLACED = ("shared_values", "issues", "issue_files")
BATCH = 2_000


def copy_records(source: StateDatabase, target: StateDatabase) -> dict[str, int]:
    """Rows copied per table; refused (nothing written) when ``target`` already holds records."""
    tables = [table for table in metadata.sorted_tables if table.name not in NOT_CARRIED]
    with target.connect() as conn:
        holding = [table.name for table in tables if table.name not in REPLACED
                   and conn.execute(select(func.count()).select_from(table)).scalar()]
    if holding:
        raise WechatPubError(f"{shown_url(target.url)} already holds records ({', '.join(holding)}): copying into it "
                             "would mix two deployments' records.",
                             "Copy into a new, empty database (state.database_url), then start wechat-pub on it.")
    copied: dict[str, int] = {}
    with source.connect() as reading, target.begin() as writing:
        for table in reversed(tables):  # (what refers to a row goes before it)
            if table.name in REPLACED:
                writing.execute(table.delete())
        for table in tables:
            copied[table.name] = 0
            rows = reading.execution_options(stream_results=True).execute(select(table))
            for batch in rows.partitions(BATCH):
                writing.execute(table.insert(), [dict(row._mapping) for row in batch])
                copied[table.name] += len(batch)
        if writing.dialect.name == "postgresql":
            _advance_sequences(writing, tables)
    return copied


def _advance_sequences(conn, tables) -> None:
    """PostgreSQL's serial ids go on after the copied rows' (SQLite needs nothing: it takes the largest id)."""
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and len(table.primary_key.columns) == 1
                                                and column.type.python_type is int):
                sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                        {"t": table.name, "c": column.name}).scalar()
                if sequence:
                    conn.execute(text(f"SELECT setval('{sequence}', COALESCE((SELECT MAX({column.name}) FROM "
                                      f"{table.name}), 0) + 1, false)"))
