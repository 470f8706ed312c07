"""The state database's Alembic migrations: ``env.py`` and ``versions/`` (one file per schema change, oldest
first). :mod:`wechat_pub.state.migrate` runs them; nothing here is read from an alembic.ini."""
