"""An issue's push history and its audit entries are found by index: the issue page read both tables whole
(every push of every issue, every action of the console since it was installed) to show one issue's.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_history_issue", "history", ["appid", "issue", "id"], unique=False)
    op.create_index("ix_audit_issue", "audit", ["appid", "issue", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_issue", table_name="audit")
    op.drop_index("ix_history_issue", table_name="history")
