"""Saved, dated exchange market lists for the ``universe.tradable_on`` screen (file I/O side).

``<data dir>/markets/<exchange>-<quote>.json``::

    {"exchange": "binance", "quote": "USDT",
     "snapshots": {"2026-12-01": ["AAVE", "ADA", "BTC", ...], ...}}

A snapshot lists the base assets with a direct or routed (via BTC / ETH)
active spot market against the quote on that UTC day.  ``indexer rebalance
--live`` and the bot (sandbox / live) add today's snapshot each time they read
an exchange's markets.  :func:`load_market_list` reads the file and registers
it with :func:`indexer.universe.tradable.use_market_list` so strategies with
``tradable_on`` can screen their universe, point in time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from indexer.config import data_dir
from indexer.exceptions import DataError, ExecutionError
from indexer.execution.planner import route
from indexer.execution.types import Market
from indexer.universe.tradable import MarketList, use_market_list

__all__ = ["market_list_path", "tradable_bases", "save_market_list", "load_market_list"]


def market_list_path(exchange: str, quote: str = "USDT") -> Path:
    """Where the list of ``exchange`` / ``quote`` is kept (in the data directory)."""
    return data_dir() / "markets" / f"{exchange}-{quote}.json"


def tradable_bases(markets: Mapping[str, Market], quote: str) -> list[str]:
    """Return the base assets with a direct or routed active spot market against ``quote``."""
    out = []
    for base in sorted({m.base for m in markets.values()} - {quote}):
        try:
            route(base, markets, quote)
        except ExecutionError:
            continue
        out.append(base)
    return out


def load_market_list(exchange: str, quote: str = "USDT", path: str | Path | None = None,
                     *, register: bool = True) -> MarketList:
    """Load the saved list (empty when there is no file yet), registered for ``tradable_on`` by default.

    Raises :class:`DataError` naming the file and field when the file is malformed.
    """
    p = Path(path) if path else market_list_path(exchange, quote)
    ml = MarketList(exchange, quote, {})
    if p.exists():
        try:
            raw = json.loads(p.read_text())
            snaps = raw["snapshots"]
            for day, assets in snaps.items():
                if not isinstance(assets, list) or not all(isinstance(a, str) for a in assets):
                    raise ValueError(f"snapshots.{day}: expected a list of asset symbols")
                ml = ml.with_snapshot(pd.Timestamp(day), assets)
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"market list {p}: {exc} (expected {{'snapshots': {{'YYYY-MM-DD': [assets]}}}})") from None
    if register:
        use_market_list(ml)
    return ml


def save_market_list(markets: Mapping[str, Market], exchange: str, quote: str, day: Any,
                     path: str | Path | None = None) -> MarketList:
    """Add (or replace) the snapshot of UTC ``day`` to the saved list; write it atomically and register it."""
    p = Path(path) if path else market_list_path(exchange, quote)
    ml = load_market_list(exchange, quote, p, register=False).with_snapshot(pd.Timestamp(day), tradable_bases(markets, quote))
    p.parent.mkdir(parents=True, exist_ok=True)
    body: dict[str, Any] = {"exchange": exchange, "quote": quote,
                            "snapshots": {f"{d:%Y-%m-%d}": sorted(a) for d, a in sorted(ml.snapshots.items())}}
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, indent=1))
    tmp.replace(p)
    use_market_list(ml)
    return ml
