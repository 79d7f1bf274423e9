"""Alembic environment: runs on the connection passed in ``config.attributes['connection']``."""

from __future__ import annotations

from alembic import context

from indexer.bot.schema import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the bot always passes its connection
    raise RuntimeError("run the bot migrations through indexer.bot.database.migrate()")
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
