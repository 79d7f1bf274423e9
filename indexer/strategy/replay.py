"""Replay of a strategy's own pre-overlay decisions, for the drawdown guard.

The guarded curve is what the strategy's pre-overlay portfolios earned: at each
scheduled decision date d inside the window the pre-overlay weights are decided
from ``data.until(d)`` (with ``previous=None``: no buffer, no turnover penalty),
held (drifting with prices) until the next decision.  Decisions are memoised per
(date, data fingerprint), so a backtest computes each past decision once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexer._typing import CASH

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["PreOverlayReplay", "fingerprint", "held_curve"]


def fingerprint(data: MarketData) -> tuple:
    """Return a cheap identity of point-in-time data: shapes, last bar and sums of every panel and input."""
    parts: list = [tuple(data.close.columns), data.close.index[0].value, data.close.index[-1].value, len(data.close)]
    for p in (data.close, data.volume, data.market_cap, *data.metrics.values()):
        parts.append(None if p is None else float(np.nansum(p.to_numpy(dtype="float64"))))
    s = data.sentiment
    parts.append(None if s.index is None else (len(s.index), float(np.nansum(s.index.to_numpy(dtype="float64")))))
    parts.append(None if s.texts is None else len(s.texts))
    return tuple(parts)


def held_curve(close: pd.DataFrame, decisions: list[tuple[pd.Timestamp, pd.Series]]) -> pd.Series:
    """Value path (starts at 1) of holding each decision's weights from its date to the next one.

    ``close`` rows from the first decision date; prices are forward-filled; a
    missing price keeps that slice's value constant; CASH earns 0.
    """
    px = close.ffill()
    out = pd.Series(np.nan, index=px.index, dtype="float64")
    value = 1.0
    for k, (d, w) in enumerate(decisions):
        end = decisions[k + 1][0] if k + 1 < len(decisions) else px.index[-1]
        seg = px.loc[d:end]
        risky = w.drop(CASH, errors="ignore")
        risky = risky[risky > 0]
        base = seg.iloc[0][list(risky.index)] if len(risky) else pd.Series(dtype="float64")
        rel = seg[list(risky.index)].div(base).fillna(1.0) if len(risky) else pd.DataFrame(index=seg.index)
        path = value * (float(w.get(CASH, 0.0)) + (rel * risky).sum(axis=1))
        out.loc[seg.index] = path.to_numpy()
        value = float(path.iloc[-1])
    return out.ffill()


class PreOverlayReplay:
    """Memoised pre-overlay decisions of one strategy; ``curve(data, window)`` for the drawdown guard."""

    def __init__(
        self,
        decide: Callable[[MarketData], pd.Series],
        schedule: Callable[[pd.DatetimeIndex], pd.DatetimeIndex],
        maxsize: int = 2048,
    ) -> None:
        self._decide = decide
        self._schedule = schedule
        self._memo: OrderedDict[tuple, pd.Series] = OrderedDict()
        self._maxsize = maxsize

    def weights(self, data: MarketData, d: pd.Timestamp) -> pd.Series:
        """Pre-overlay weights decided at ``d`` from ``data.until(d)`` (memoised)."""
        pit = data.until(d)
        key = (pd.Timestamp(d).value, fingerprint(pit))
        hit = self._memo.get(key)
        if hit is not None:
            self._memo.move_to_end(key)
            return hit
        w = self._decide(pit)
        self._memo[key] = w
        if len(self._memo) > self._maxsize:
            self._memo.popitem(last=False)
        return w

    def curve(self, data: MarketData, window: int) -> pd.Series:
        """Return the replayed pre-overlay value path over the last ``window`` bars of ``data`` (point-in-time).

        Decisions: the window's first bar, then every scheduled date before the last bar.
        """
        idx = data.close.index
        start = idx[max(len(idx) - 1 - window, 0)]
        t = idx[-1]
        dates = [start] + [d for d in self._schedule(idx) if start < d < t]
        decisions = [(d, self.weights(data, d)) for d in dates]
        return held_curve(data.close.loc[start:], decisions)
