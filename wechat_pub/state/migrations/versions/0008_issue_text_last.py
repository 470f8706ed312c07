"""An issue's text is the last column of its row (SQLite only).

SQLite keeps a row's columns in order and a 40 KB text spills into overflow pages: reading any column after it
(the hash, the title, whether it was removed) walked every one of those pages, so the list of an archive's
issues without their texts read its whole 100 MB (29 ms for 2,000 issues, every sync of every host, against
0.7 ms with the text last). PostgreSQL keeps large texts out of the row already (TOAST): nothing to do there.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TEXT_LAST = ("appid", "number", "filename", "text_hash", "valid", "problems", "publish_at", "title", "date",
             "version", "updated_at", "updated_by", "removed", "text")
TEXT_FOURTH = ("appid", "number", "filename", "text", "text_hash", "valid", "problems", "publish_at", "title",
               "date", "version", "updated_at", "updated_by", "removed")


def upgrade() -> None:
    _order(TEXT_LAST)


def downgrade() -> None:
    _order(TEXT_FOURTH)


def _order(columns: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("issues", recreate="always", partial_reordering=[columns]):
        pass  # (the table is copied in this order, its keys and indexes with it)
