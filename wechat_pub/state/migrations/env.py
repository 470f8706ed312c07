"""Alembic's environment (with ``versions/``: the state database's migrations), which
:mod:`wechat_pub.state.migrate` runs, with no alembic.ini. Not a package: Alembic loads this file by its path.
Migrations always run on the connection migrate hands over (already in a transaction and holding the upgrade
lock), so they commit or roll back as one."""

from alembic import context

from wechat_pub.state.schema import metadata

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata,
                  render_as_batch=True)  # SQLite changes a column by copying its table: batch mode does that

with context.begin_transaction():
    context.run_migrations()
