"""``indexer bot run``: an APScheduler 3 cron schedule in UTC with graceful shutdown.

The process holds the account lock for its whole life, runs at most one
rebalance at a time (late triggers coalesce), and on SIGTERM / SIGINT lets
the running rebalance finish before it exits.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from indexer.bot.database import utcnow
from indexer.bot.service import Bot
from indexer.bot.settings import cron_trigger

__all__ = ["cron_trigger", "serve"]

log = logging.getLogger("indexer.bot")


def serve(bot: Bot, *, live: bool = False, run_now: bool = False, max_runs: int | None = None,
          on_ready: Callable[[dict[str, Any]], None] | None = None) -> int:
    """Run the schedule until SIGTERM / SIGINT (or ``max_runs`` runs); returns the number of runs."""
    cfg = bot.cfg
    stop = threading.Event()
    runs = 0
    metrics = None
    if cfg.metrics_port is not None:
        from indexer.bot.prometheus import BotMetrics

        metrics = BotMetrics(cfg.account)
        port = metrics.serve(cfg.metrics_port)
        log.info("metrics on http://127.0.0.1:%d/metrics", port, extra={"metrics_port": port})

    def job() -> None:
        nonlocal runs
        try:
            result = bot.rebalancer(live=live).once(utcnow())
            log.info("scheduled run: %s", result.message, extra={"status": result.status})
            if metrics is not None:
                metrics.observe(result, time.time())
        except Exception:  # noqa: BLE001 - the schedule must survive one bad run
            log.exception("scheduled run crashed")
        runs += 1
        if max_runs is not None and runs >= max_runs:
            stop.set()

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("received %s: finishing the current run, then stopping", signal.Signals(signum).name)
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    sched = BackgroundScheduler(timezone="UTC", job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": cfg.schedule.misfire_grace_s})
    with bot.lock():
        trigger = cron_trigger(cfg.schedule.cron)
        sched.add_job(job, trigger, id="rebalance")
        if run_now:
            sched.add_job(job, id="rebalance-now")
        sched.start()
        nxt = sched.get_job("rebalance").next_run_time
        log.info("bot %s scheduled %r (UTC), next run %s", cfg.account, cfg.schedule.cron, nxt,
                 extra={"account": cfg.account, "next_run": str(nxt)})
        if on_ready is not None:
            on_ready({"next_run": nxt})
        try:
            while not stop.wait(0.5):
                pass
        finally:
            sched.shutdown(wait=True)
            for s, h in old.items():
                signal.signal(s, h)
            if metrics is not None:
                metrics.close()
    log.info("bot %s stopped after %d run(s)", cfg.account, runs)
    return runs
