"""Alembic migrations of the bot schema (applied programmatically by :func:`indexer.bot.store.migrate`)."""

__all__: list[str] = []
