"""The live path's two calls before a strategy is asked: refresh its inputs, then check their age.

::

    report = refresh_inputs(strategy, root, settings, now=now, exchange="binance")   # network, incremental
    data = load_live(root)                                                            # the same loader a backtest uses
    fresh = check_freshness(strategy, data, now)                                      # block, or fallbacks recorded
    target = decide(strategy, data, as_of, now=now, report=fresh)

Used by the bot (before the ``target_decided`` step) and ``indexer data update STRATEGY``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.data.live import LiveSettings, RefreshReport, load_live
from indexer.data.live import refresh_inputs as _refresh
from indexer.strategy.freshness import FreshnessReport, check_freshness, decide, input_needs

if TYPE_CHECKING:  # pragma: no cover
    from indexer.strategy.strategy import Strategy

__all__ = ["refresh_inputs", "check_freshness", "decide", "load_live", "FreshnessReport", "RefreshReport"]


def refresh_inputs(strategy: Strategy, root: str | Path, settings: LiveSettings | None = None, *, now: Any = None,
                   exchange: str = "binance", progress: bool = False, **kwargs: Any) -> RefreshReport:
    """Refresh exactly the inputs ``strategy`` declares (signals, universe fields, overlays) into the live cache ``root``.

    Assets: ``settings.candidates`` plus the universe's ``include``.  ``kwargs``
    go to :func:`indexer.data.live.refresh_inputs` (``ccxt_exchange``, ``sleep``).
    """
    s = settings or LiveSettings()
    return _refresh(input_needs(strategy, s.candidates), root, s, now=now, exchange=exchange, progress=progress, **kwargs)
