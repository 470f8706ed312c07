"""Reaching the followers: mass sends, phone previews and the console users' profiles (the WeChat ID their
previews go to).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database of a development build between the release and migrations may have them already (made by
    # create_all then): it is stamped at 0001 like the release's, so each table may be there.
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "sends" not in present:
        op.create_table(
            "sends",
            sa.Column("appid", sa.String(length=64), nullable=False),
            sa.Column("issue", sa.Integer(), nullable=False),
            sa.Column("clientmsgid", sa.String(length=64), nullable=False),
            sa.Column("content_hash", sa.String(length=64), nullable=False),
            sa.Column("tag_id", sa.String(length=32), nullable=False),
            sa.Column("state", sa.String(length=20), nullable=False),
            sa.Column("msg_id", sa.String(length=40), nullable=False),
            sa.Column("msg_data_id", sa.String(length=40), nullable=False),
            sa.Column("status", sa.Text(), nullable=False),
            sa.Column("total", sa.Integer(), nullable=False),
            sa.Column("filtered", sa.Integer(), nullable=False),
            sa.Column("sent_count", sa.Integer(), nullable=False),
            sa.Column("errors", sa.Integer(), nullable=False),
            sa.Column("check_state", sa.Integer(), nullable=False),
            sa.Column("article_urls", sa.Text(), nullable=False),
            sa.Column("error", sa.Text(), nullable=False),
            sa.Column("hint", sa.Text(), nullable=False),
            sa.Column("by", sa.String(length=64), nullable=False),
            sa.Column("requested_at", sa.Float(), nullable=False),
            sa.Column("updated_at", sa.Float(), nullable=False),
            sa.PrimaryKeyConstraint("appid", "issue", "clientmsgid"),
        )
    if "phone_previews" not in present:
        op.create_table(
            "phone_previews",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("appid", sa.String(length=64), nullable=False),
            sa.Column("issue", sa.Integer(), nullable=False),
            sa.Column("wechat_id_hash", sa.String(length=64), nullable=False),
            sa.Column("by", sa.String(length=64), nullable=False),
            sa.Column("at", sa.Float(), nullable=False),
            sa.Column("day", sa.String(length=10), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_phone_previews_appid", "phone_previews", ["appid"], unique=False)
    if "console_profiles" not in present:
        op.create_table(
            "console_profiles",
            sa.Column("user", sa.String(length=64), nullable=False),
            sa.Column("wechat_id", sa.String(length=64), nullable=False),
            sa.Column("updated_at", sa.Float(), nullable=False),
            sa.PrimaryKeyConstraint("user"),
        )


def downgrade() -> None:
    op.drop_table("console_profiles")
    op.drop_index("ix_phone_previews_appid", table_name="phone_previews")
    op.drop_table("phone_previews")
    op.drop_table("sends")
