"""``send_events``: a send's MASSSENDJOBFINISH that came before wechat-pub recorded the send's msg_id (its
sendall's answer was lost, or the event was quicker than the record). WeChat sends the event once: it is kept
until the send is recorded, then applied, so the send keeps its links and counts.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("send_events",
                    sa.Column("appid", sa.String(length=64), primary_key=True),
                    sa.Column("msg_id", sa.String(length=40), primary_key=True),
                    sa.Column("result", sa.Text(), nullable=False),
                    sa.Column("received_at", sa.Float(), nullable=False))


def downgrade() -> None:
    op.drop_table("send_events")
