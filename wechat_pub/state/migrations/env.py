"""Alembic's environment: migrations always run on the connection :mod:`wechat_pub.state.migrate` hands over
(already in a transaction and holding the upgrade lock), so they commit or roll back as one."""

from alembic import context

from wechat_pub.state.schema import metadata

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata,
                  render_as_batch=True)  # SQLite changes a column by copying its table: batch mode does that

with context.begin_transaction():
    context.run_migrations()
