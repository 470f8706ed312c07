"""``pushed_texts``: an issue's text as it went into its draft, and as it went out (published or sent). Followers'
search of published issues reads what went out: an edit made to a published issue's file since is not an answer
until it is pushed and published (or sent) in turn. Issues that went out before this revision (or are in the draft
box) are given the text they have now: the best there is, and from here on later edits stay out.

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
    went_out = "p.state IN ('published', 'sent') OR p.article_urls NOT IN ('', '[]')"  # (a correction's too)
    in_the_box = "p.state IN ('draft', 'publishing', 'sending')"
    for role, which in (("live", went_out), ("draft", in_the_box)):
        op.execute(f"INSERT INTO pushed_texts (appid, issue, role, text_hash, text) "
                   f"SELECT p.appid, p.issue, '{role}', i.text_hash, i.text FROM pushes p JOIN issues i "
                   f"ON i.appid = p.appid AND i.number = p.issue WHERE ({which}) AND i.removed = 0")


def downgrade() -> None:
    op.drop_table("pushed_texts")
