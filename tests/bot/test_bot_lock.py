"""Single-instance lock per account: file lock, and a PostgreSQL advisory lock across lock files."""

from __future__ import annotations

from pathlib import Path

import pytest
from botkit import unique_account, write_config

from indexer.bot import AccountLock, AlreadyRunning, load_bot_settings, open_bot
from indexer.bot.database import Store


def test_second_bot_on_the_same_account_is_refused(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "bot.yaml", db_url=f"sqlite:///{tmp_path / 'b.sqlite'}")
    with open_bot(load_bot_settings(cfg), logs=False) as bot:
        with bot.lock():
            with pytest.raises(AlreadyRunning, match="locked by another bot process"):
                bot.once()
        with bot.lock():  # released: can be taken again
            pass


def test_postgres_advisory_lock_spans_machines(pg_database: str, tmp_path: Path) -> None:
    store, acct = Store(pg_database), unique_account()
    with AccountLock(tmp_path / "a.lock", acct, store.engine):
        with pytest.raises(AlreadyRunning, match="advisory lock"):
            with AccountLock(tmp_path / "other-machine.lock", acct, store.engine):
                pass
        with AccountLock(tmp_path / "b.lock", unique_account(), store.engine):
            pass  # another account is independent
    with AccountLock(tmp_path / "c.lock", acct, store.engine):
        pass
    store.close()
