r"""Fault injection for the kill tests: ``INDEXER_BOT_CRASH_AT=<point>[:<leg>]``.

The process ``SIGKILL``\ s itself when it reaches ``<point>``: a run step
(:data:`indexer.bot.rebalancer.STEPS`) or, for an order of leg ``<leg>``, one of
:data:`ORDER_POINTS`: ``order_intent`` (intent recorded, nothing sent),
``order_sent`` (the exchange acknowledged it, nothing recorded) and
``order_recorded`` (its final state and fills recorded).
"""

from __future__ import annotations

import logging
import os
import signal

__all__ = ["CRASH_ENV", "ORDER_POINTS", "crash_point"]

log = logging.getLogger("indexer.bot")
CRASH_ENV = "INDEXER_BOT_CRASH_AT"
ORDER_POINTS = ("order_intent", "order_sent", "order_recorded")


def crash_point(point: str, leg: int | None = None) -> None:
    """SIGKILL this process when ``$INDEXER_BOT_CRASH_AT`` names ``point`` (and ``leg``)."""
    want = os.environ.get(CRASH_ENV)
    if not want:
        return
    name, _, at_leg = want.partition(":")
    if name == point and (not at_leg or leg is None or int(at_leg) == leg):
        log.warning("fault injection: SIGKILL at %s", want)
        for h in logging.getLogger().handlers:
            h.flush()
        os.kill(os.getpid(), signal.SIGKILL)
