"""Two facts of an issue's text. ``issues.shown``: the pictures it shows, by their paths in the articles folder
(JSON, with the text hash they were read from), so a sync knows them without parsing every unchanged text: a picture
put in the folder after its text was synced (a `git pull`, a copy) reaches the database and every host; NULL (or
the paths of another text): read again by the next sync. ``issues.text_by``: who last changed the text (or chose
its pictures in the console), which a version saved only for pictures from a host's folder keeps: a schedule
publishes an editor's text only once an approver approved it (NULL: saved before; ``updated_by`` says). On SQLite
the text stays the last column (see 0008).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ORDER = ("appid", "number", "filename", "text_hash", "valid", "problems", "publish_at", "title", "date",
         "version", "updated_at", "updated_by", "removed", "shown", "text_by", "text")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("issues", recreate="always" if sqlite else "auto",
                              partial_reordering=[ORDER] if sqlite else None) as table:
        table.add_column(sa.Column("shown", sa.Text(), nullable=True))
        table.add_column(sa.Column("text_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issues") as table:
        table.drop_column("text_by")
        table.drop_column("shown")
