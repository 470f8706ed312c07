"""The push ledger keeps no receipts: the fast unchanged re-push they served is gone (issue 22), and every push
now goes the whole way.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pushes") as batch:  # SQLite: the table is copied without the column
        batch.drop_column("receipt")


def downgrade() -> None:
    import sqlalchemy as sa

    with op.batch_alter_table("pushes") as batch:
        batch.add_column(sa.Column("receipt", sa.Text(), nullable=False, server_default=""))
