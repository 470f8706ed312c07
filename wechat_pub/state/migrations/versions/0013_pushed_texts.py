"""``pushed_texts``: an issue's text as it went into its draft, and as it went out (published or sent). Followers'
search of published issues reads what went out: an edit made to a published issue's file since is not an answer
until it is pushed and published (or sent) in turn.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("pushed_texts",
                    sa.Column("appid", sa.String(length=64), primary_key=True),
                    sa.Column("issue", sa.Integer(), primary_key=True),
                    sa.Column("role", sa.String(length=8), primary_key=True),
                    sa.Column("text_hash", sa.String(length=64), nullable=False),
                    sa.Column("text", sa.Text(), nullable=False))


def downgrade() -> None:
    op.drop_table("pushed_texts")
