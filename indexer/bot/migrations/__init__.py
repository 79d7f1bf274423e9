"""Alembic migrations of the bot schema (applied programmatically by :func:`indexer.bot.database.migrate`)."""

__all__: list[str] = []
