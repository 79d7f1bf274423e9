"""indexer.bot: the scheduled rebalancing bot (state, crash recovery, risk limits, notifications).

``run_once(load_bot_settings(path))`` rebalances once; ``indexer bot run CONFIG``
schedules it (see ``docs/bot.md``).
"""

from __future__ import annotations

from indexer.bot.database import Store, migrate
from indexer.bot.lock import AccountLock, AlreadyRunning
from indexer.bot.notify import Notifier
from indexer.bot.rebalancer import ORDER_POINTS, STEPS, Rebalancer, RunResult
from indexer.bot.redact import Redactor
from indexer.bot.service import Bot, open_bot, run_once, set_paused
from indexer.bot.settings import BotSettings, load_bot_settings
from indexer.execution.guards import KillSwitch, RiskLimitError

__all__ = [
    "BotSettings",
    "load_bot_settings",
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
