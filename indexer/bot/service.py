"""The bot as a service: state, lock, logs and notifications wired around :class:`Rebalancer`.

>>> from indexer.bot import load_bot_settings, run_once          # doctest: +SKIP
>>> result = run_once(load_bot_settings("examples/bot/paper.yaml"))  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from indexer.bot.database import Store, utcnow
from indexer.bot.lock import AccountLock
from indexer.bot.logs import setup_logging
from indexer.bot.notify import Notifier
from indexer.bot.rebalancer import Rebalancer, RunResult
from indexer.bot.redact import Redactor
from indexer.bot.settings import BotSettings

__all__ = ["Bot", "open_bot", "run_once", "set_paused"]

log = logging.getLogger("indexer.bot")


@dataclass
class Bot:
    """An opened bot: configuration, state store, redactor and notifier."""

    cfg: BotSettings
    store: Store
    redactor: Redactor
    notifier: Notifier

    def rebalancer(self, *, live: bool = False) -> Rebalancer:
        """Return a :class:`Rebalancer` for this account."""
        return Rebalancer(self.cfg, self.store, self.notifier, live=live)

    def lock(self, timeout_s: float = 0.0) -> AccountLock:
        """Return the single-instance lock of the account."""
        return AccountLock(self.cfg.lock_path(), self.cfg.account, self.store.engine, timeout_s=timeout_s)

    def once(self, *, now: dt.datetime | None = None, live: bool = False, lock_timeout_s: float = 0.0) -> RunResult:
        """One locked rebalance (recovering unfinished runs first) at ``now`` (default: the clock)."""
        with self.lock(lock_timeout_s):
            return self.rebalancer(live=live).once(now or utcnow())


def _redactor(cfg: BotSettings) -> Redactor:
    import os

    r = Redactor()
    c = cfg.exchange.credentials
    r.add(os.environ.get(n) for n in (c.api_key_env, c.secret_env, c.password_env) if n)
    from urllib.parse import urlparse

    db = os.environ.get(cfg.database.url_env) if cfg.database.url_env else cfg.database.url
    r.add([urlparse(db).password if db else None])
    for t in cfg.notify:
        r.add_url(os.environ.get(t.url_env or "") or t.url)
    return r


@contextmanager
def open_bot(cfg: BotSettings, *, logs: bool = True) -> Iterator[Bot]:
    """Open the state database (migrating it), set up JSON logs and notifications."""
    redactor = _redactor(cfg)
    if logs:
        setup_logging(redactor, json_logs=cfg.logging.json_logs, level=cfg.logging.level, file=cfg.logging.file)
    store = Store(cfg.db_url())
    try:
        yield Bot(cfg, store, redactor, Notifier(cfg.notify, cfg.account, redactor))
    finally:
        store.close()


def run_once(cfg: BotSettings, *, now: dt.datetime | None = None, live: bool = False) -> RunResult:
    """Open the bot, rebalance once, close it."""
    with open_bot(cfg) as bot:
        return bot.once(now=now, live=live)


def set_paused(cfg: BotSettings, paused: bool, reason: str | None = None) -> None:
    """Persist pause / resume of the account (takes effect at the next run)."""
    with open_bot(cfg, logs=False) as bot:
        bot.store.set_paused(cfg.account, paused, reason)
        bot.store.event(cfg.account, "pause" if paused else "resume",
                        f"account {'paused' if paused else 'resumed'}" + (f": {reason}" if reason else ""))
