"""``tradable_on``: keep only assets an exchange lists, from a saved, dated market list (pure, no I/O).

A :class:`MarketList` holds dated snapshots of the base assets an exchange
trades against a quote (directly or routed via BTC / ETH).  Snapshots are saved
by the live path (``indexer rebalance`` writes one each time it reads an
exchange's markets; :mod:`indexer.execution.market_lists` reads and writes the
files) and registered here with :func:`use_market_list`.

The screen is point in time: at ``as_of`` it uses the latest snapshot dated at
or before ``as_of``.  Before the first snapshot it *cannot* know what was listed,
so it keeps every asset and says so in the selection log (rule
``tradable_on``, action ``not_applied``) instead of applying today's list to
the past.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from indexer.exceptions import ConfigError

__all__ = ["MarketList", "use_market_list", "market_list", "screen_tradable"]

_LISTS: dict[str, MarketList] = {}


@dataclass(frozen=True)
class MarketList:
    """Dated snapshots (UTC dates) of the base assets ``exchange`` trades against ``quote``."""

    exchange: str
    quote: str = "USDT"
    snapshots: Mapping[pd.Timestamp, frozenset[str]] = field(default_factory=dict)

    def at(self, as_of: Any) -> tuple[pd.Timestamp, frozenset[str]] | None:
        """``(date, assets)`` of the latest snapshot at or before ``as_of``; ``None`` before the first."""
        t = pd.Timestamp(as_of)
        t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
        dates = sorted(d for d in self.snapshots if d <= t)
        return (dates[-1], self.snapshots[dates[-1]]) if dates else None

    def with_snapshot(self, date: Any, assets: Iterable[str]) -> MarketList:
        """Return a copy with the snapshot of ``date`` (UTC day) set to ``assets``."""
        d = pd.Timestamp(date)
        d = (d.tz_localize("UTC") if d.tzinfo is None else d.tz_convert("UTC")).normalize()
        return MarketList(self.exchange, self.quote, {**self.snapshots, d: frozenset(assets)})


def use_market_list(ml: MarketList) -> None:
    """Register ``ml`` for ``universe.tradable_on: <ml.exchange>``."""
    _LISTS[ml.exchange] = ml


def market_list(exchange: str) -> MarketList:
    """Return the registered list of ``exchange``; :class:`ConfigError` saying how to get one."""
    try:
        return _LISTS[exchange]
    except KeyError:
        raise ConfigError(
            f"universe.tradable_on: {exchange!r} needs a saved market list of {exchange}: run "
            f"`indexer rebalance STRATEGY --exchange {exchange} --live --dry-run` once (it saves the list), then "
            f"load it with indexer.execution.market_lists.load_market_list({exchange!r})") from None


def screen_tradable(symbols: Iterable[str], exchange: str, as_of: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Return the ``symbols`` listed on ``exchange`` at ``as_of`` and the log entries.

    One log entry per exclusion, or one saying the screen could not be applied because no
    snapshot is that old.
    """
    ml = market_list(exchange)
    snap = ml.at(as_of)
    syms = list(symbols)
    if snap is None:
        first = min(ml.snapshots) if ml.snapshots else None
        return syms, [{"stage": "universe", "rule": "tradable_on", "asset": "*", "action": "not_applied",
                       "detail": f"no {exchange} market list dated at or before {pd.Timestamp(as_of).date()} "
                                 f"(first: {first.date() if first is not None else 'none'}): cannot tell what "
                                 f"was listed then"}]
    date, assets = snap
    keep = [s for s in syms if s in assets]
    log = [{"stage": "universe", "rule": "tradable_on", "asset": s, "action": "excluded",
            "detail": f"{s} has no {exchange} spot market in the list of {date.date()}"} for s in syms if s not in assets]
    return keep, log
