"""The console's language per user (issue 24): each person's choice of zh_CN or en, kept in their profile ("" is
the deployment's ``console.language``).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_profiles") as table:  # batch: SQLite alters a table by copying it
        table.add_column(sa.Column("language", sa.String(length=16), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("console_profiles") as table:
        table.drop_column("language")
