"""indexer.bot: the scheduled rebalancing bot (state, crash recovery, risk limits, notifications).

``run_once(load_bot_config(path))`` rebalances once; ``indexer bot run CONFIG``
schedules it (see ``docs/bot.md``).
"""

from __future__ import annotations

from indexer.bot.config import BotConfig, load_bot_config
from indexer.bot.guards import KillSwitch, RiskLimitError
from indexer.bot.lock import AccountLock, AlreadyRunning
from indexer.bot.notify import Notifier
from indexer.bot.redact import Redactor
from indexer.bot.run import ORDER_POINTS, STEPS, Rebalancer, RunResult
from indexer.bot.service import Bot, open_bot, run_once, set_paused
from indexer.bot.store import Store, migrate

__all__ = [
    "BotConfig",
    "load_bot_config",
    "KillSwitch",
    "RiskLimitError",
    "AccountLock",
    "AlreadyRunning",
    "Notifier",
    "Redactor",
    "STEPS",
    "ORDER_POINTS",
    "Rebalancer",
    "RunResult",
    "Bot",
    "open_bot",
    "run_once",
    "set_paused",
    "Store",
    "migrate",
]
