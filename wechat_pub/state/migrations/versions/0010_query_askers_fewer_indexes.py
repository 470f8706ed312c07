"""The followers' last times lose their two indexes by query: every query moved into the log updated both (two
more pages written at random per query, a third of the move's time at a year's scale), and they served only the
followers of a period's first, partial day, which are now read from that day's queries (state/querysummary.py).

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_query_askers_unanswered", table_name="query_askers")
    op.drop_index("ix_query_askers_last", table_name="query_askers")


def downgrade() -> None:
    op.create_index("ix_query_askers_last", "query_askers", ["appid", "query", "last_at"], unique=False)
    op.create_index("ix_query_askers_unanswered", "query_askers", ["appid", "query", "last_unanswered_at"],
                    unique=False)
