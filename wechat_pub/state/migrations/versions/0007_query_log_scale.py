"""The query log at a year's scale: an index on (appid, at), and the summaries the console reads (per day and
query, per query and follower, per query and day of followers' last times, per quarter hour), filled from the
queries already logged.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ix_queries_appid_at, which the prune and a period's queries use, came with 0005 (the Reach page's week)
    op.create_table(
        "query_days",
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("unanswered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("appid", "day", "query"),
    )
    op.create_table(
        "query_askers",
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("follower", sa.String(length=64), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.Column("last_unanswered_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("appid", "query", "follower"),
    )
    op.create_table(
        "query_follower_days",
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("followers", sa.Integer(), nullable=False),
        sa.Column("unanswered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("appid", "query", "day"),
    )
    op.create_table(
        "query_quarters",
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("unanswered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("appid", "quarter"),
    )
    _fill_summaries()  # before their indexes: one sort at the end instead of an index kept row by row
    op.create_index("ix_query_days_query", "query_days", ["appid", "query", "day", "asked", "unanswered"],
                    unique=False)
    op.create_index("ix_query_askers_last", "query_askers", ["appid", "query", "last_at"], unique=False)
    op.create_index("ix_query_askers_unanswered", "query_askers", ["appid", "query", "last_unanswered_at"],
                    unique=False)
    op.create_index("ix_query_askers_prune", "query_askers", ["appid", "last_at"], unique=False)


def _fill_summaries() -> None:
    """The summaries of the queries logged so far (the same arithmetic as state/querysummary.py's, written out
    here: a migration never changes with the code)."""
    sqlite = op.get_bind().dialect.name == "sqlite"

    def whole(column: str, seconds: int) -> str:  # the day (or quarter hour) a time falls in
        return f"CAST({column} / {seconds} AS INTEGER)" if sqlite else f"CAST(FLOOR({column} / {seconds}) AS INTEGER)"

    unanswered = "CASE WHEN matches = 0 THEN 1 ELSE 0 END"
    op.execute(f"INSERT INTO query_days (appid, day, query, asked, unanswered) SELECT appid, {whole('at', 86400)}, "
               f"query, COUNT(*), SUM({unanswered}) FROM queries GROUP BY appid, {whole('at', 86400)}, query")
    op.execute("INSERT INTO query_askers (appid, query, follower, last_at, last_unanswered_at) SELECT appid, query, "
               "follower, MAX(at), MAX(CASE WHEN matches = 0 THEN at ELSE 0 END) FROM queries "
               "GROUP BY appid, query, follower")
    op.execute(f"INSERT INTO query_follower_days (appid, query, day, followers, unanswered) SELECT appid, query, day, "
               f"SUM(followers), SUM(unanswered) FROM (SELECT appid, query, {whole('last_at', 86400)} AS day, "
               f"1 AS followers, 0 AS unanswered FROM query_askers UNION ALL SELECT appid, query, "
               f"{whole('last_unanswered_at', 86400)}, 0, 1 FROM query_askers WHERE last_unanswered_at > 0) AS lasts "
               f"GROUP BY appid, query, day")
    op.execute(f"INSERT INTO query_quarters (appid, quarter, asked, unanswered) SELECT appid, {whole('at', 900)}, "
               f"COUNT(*), SUM({unanswered}) FROM queries GROUP BY appid, {whole('at', 900)}")


def downgrade() -> None:
    op.drop_table("query_quarters")
    op.drop_table("query_follower_days")
    op.drop_table("query_askers")
    op.drop_table("query_days")
