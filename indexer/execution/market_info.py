"""Prices and markets from the reference data, for the simulator and paper trading."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from indexer.exceptions import DataError

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["last_prices", "ccxt_markets"]


def last_prices(data: MarketData, as_of: pd.Timestamp | None = None) -> dict[str, float]:
    """Last finite close per asset (USD) up to ``as_of`` (inclusive; latest bar when omitted)."""
    close = data.close if as_of is None else data.close.loc[: pd.Timestamp(as_of)]
    last = close.ffill().iloc[-1].dropna()
    last = last[last > 0]
    if last.empty:
        raise DataError(f"no positive close price up to {as_of}")
    return {str(k): float(v) for k, v in last.items()}


def ccxt_markets(prices_usd: Mapping[str, float], *, exchange_id: str = "binance", **kwargs: Any) -> Any:
    """Return a ccxt exchange object holding the simulator's markets, parsed offline by ccxt itself.

    ``exchange.markets`` then has ccxt's own precision / limits structure and
    ``exchange.amount_to_precision`` works without any network access: the
    paper broker and planner tests use it.
    """
    import ccxt

    from indexer.execution.market_filters import build_markets, exchange_info_symbol

    if exchange_id != "binance":
        raise DataError(f"offline markets are only built for binance, not {exchange_id!r}")
    ex = ccxt.binance({"options": {"fetchCurrencies": False, "fetchMarkets": {"types": ["spot"]}, "fetchMargins": False}})
    ex.options["crossMarginPairsData"] = []
    ex.options["isolatedMarginPairsData"] = []
    specs = build_markets(prices_usd, **kwargs)
    raw = {"symbols": [exchange_info_symbol(s) for s in specs.values()]}
    ex.set_markets(ex.parse_markets(raw["symbols"]))
    return ex
