"""Analytics: each article's figures by day (datacube), which days were fetched, the datacube calls of the day
and an account's standing note, the weekly note's weeks; an index for the queries of a period.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

FIGURES = ("read_user", "read_chat", "read_home", "read_share", "read_search", "read_other", "share_user",
           "like_user", "zaikan_user", "comment_count", "collection_user")


def upgrade() -> None:
    op.create_table(
        "article_stats",
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("msgid", sa.String(length=64), nullable=False),
        sa.Column("stat_date", sa.String(length=10), nullable=False),
        sa.Column("ref_date", sa.String(length=10), nullable=False),
        sa.Column("issue", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("publish_type", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in FIGURES],
        sa.Column("extra", sa.Text(), nullable=False),
        sa.Column("is_delay", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("appid", "msgid", "stat_date"),
    )
    op.create_index("ix_article_stats_issue", "article_stats", ["appid", "issue", "stat_date"], unique=False)
    op.create_index("ix_article_stats_date", "article_stats", ["appid", "stat_date"], unique=False)
    op.create_table(
        "analytics_fetches",
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("ref_date", sa.String(length=10), nullable=False),
        sa.Column("as_of", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("appid", "ref_date", "as_of"),
    )
    op.create_table(
        "analytics_accounts",
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("quota_day", sa.String(length=10), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("note_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("appid"),
    )
    op.create_table(
        "weekly_notes",
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("appid", "week"),
    )
    op.create_index("ix_queries_appid_at", "queries", ["appid", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_queries_appid_at", table_name="queries")
    op.drop_table("weekly_notes")
    op.drop_table("analytics_accounts")
    op.drop_table("analytics_fetches")
    op.drop_index("ix_article_stats_date", table_name="article_stats")
    op.drop_index("ix_article_stats_issue", table_name="article_stats")
    op.drop_table("article_stats")
