"""The regime filter's trend and sentiment paths for one run, extended as decisions advance.

``regime_filter`` decides from switch states scanned from the first bar of the
point-in-time view, so every decision recomputed the cap-weighted market index,
its moving average and both switches over the whole history.  Inside a
``with RunCache():`` block (every backtest and sweep opens one) the paths are
kept in the run cache's ``strategy.regime`` bucket, keyed by the overlay's
parameters and the identity of the data's arrays
(:class:`~indexer.data.identity.ArraysSeen`), and a longer view of the same
data computes only its new bars:

* the market level continues its cumulative product (the same multiplications
  in the same order; each bar's cap-weighted return sums the assets in column
  order, as NumPy does over the whole panel);
* the moving average is pandas' rolling mean over the level (its row t depends
  only on rows up to t, so it equals the view's own);
* each switch continues from its last state.

A shorter view of the same data (an earlier bar) reads the stored rows.  The
numbers are the whole-view computation's (``tests/strategy/test_regime_paths.py``
checks them at every decision of the shipped flagship).  Outside a run cache
block these functions return ``None`` and the overlay computes from the view.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from indexer.data.identity import ArraysSeen, root_array
from indexer.exceptions import DataError
from indexer.runcache import scoped
from indexer.strategy.overlays.base import hysteresis

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["trend_at", "sentiment_at"]

_BUCKET = "strategy.regime"


class _Path:
    """Per-bar arrays over a growing prefix of one data's rows (``index`` = the rows covered)."""

    def __init__(self, seen: ArraysSeen) -> None:
        self.seen = seen
        self.lock = threading.RLock()
        self.index = pd.DatetimeIndex([], tz="UTC")
        self.builds = 0
        self.extensions = 0

    def sync(self, idx: pd.Index, full: Callable[[], None], extend: Callable[[int], None]) -> int:
        """Cover the rows of ``idx`` (a view's timestamps): read, extend by the new rows, or rebuild; returns ``len(idx)``."""
        n, m = len(idx), len(self.index)
        if m and n <= m and idx[n - 1] == self.index[n - 1]:
            return n
        if m == 0 or n <= m or idx[m - 1] != self.index[m - 1]:
            full()
            self.builds += 1
        else:
            extend(m)
            self.extensions += 1
        self.index = idx
        return n


_P = TypeVar("_P", bound=_Path)


class _TrendPath(_Path):
    """Level, gap to its moving average and bearish state of the trend market (see module docstring)."""

    def __init__(self, seen: ArraysSeen, overlay: Any, cols: np.ndarray) -> None:
        super().__init__(seen)
        self.overlay, self.cols = overlay, cols
        self.level = self.gap = np.empty(0)
        self.state = np.empty(0, dtype=bool)

    def full(self, data: MarketData) -> None:
        from indexer.strategy.overlays.regime_filter import market_level

        self.level = market_level(data, self.overlay.market).to_numpy(dtype="float64")
        self._finish(0)

    def extend(self, data: MarketData, m: int) -> None:
        n = len(data.close)
        close = data.close.to_numpy(dtype="float64")
        if self.overlay.market != "cap_weighted":
            seeded = pd.Series(np.r_[self.level[m - 1], close[m:n, self.cols[0]]]).ffill().to_numpy()
            self.level = np.r_[self.level, seeded[1:]]
        else:
            px = close[m - 1 : n][:, self.cols]
            if data.market_cap is None:
                raise DataError("regime_filter market: cap_weighted needs market caps; the data has none")
            caps = data.market_cap.to_numpy(dtype="float64")[m - 1 : n - 1][:, self.cols]
            with np.errstate(invalid="ignore", divide="ignore"):
                r = px[1:] / px[:-1] - 1.0
            ok = np.isfinite(r) & np.isfinite(caps) & (caps > 0)
            w = np.where(ok, caps, 0.0)
            tot, num = _row_sums(w), _row_sums(np.where(ok, r, 0.0) * w)
            daily = np.divide(num, tot, out=np.zeros_like(tot), where=tot > 0)
            self.level = np.r_[self.level, np.cumprod(np.r_[self.level[m - 1], 1.0 + daily])[1:]]
        self._finish(m)

    def _finish(self, m: int) -> None:
        """Compute the moving average, gap and switch state from row ``m`` on (rows before it are kept)."""
        ov = self.overlay
        ma = pd.Series(self.level).rolling(ov.ma_days, min_periods=ov.ma_days).mean().to_numpy()
        gap = self.level[m:] / ma[m:] - 1.0
        known = np.isfinite(gap)
        start = bool(self.state[m - 1]) if m else False
        state = hysteresis(known & (gap < -ov.band), known & (gap > ov.band), start=start)
        self.gap, self.state = np.r_[self.gap[:m], gap], np.r_[self.state[:m], state]


class _SentimentPath(_Path):
    """Smoothed sentiment index and its fear state over the index's non-missing values."""

    def __init__(self, seen: ArraysSeen, overlay: Any) -> None:
        super().__init__(seen)
        self.overlay = overlay
        self.smooth = np.empty(0)
        self.state = np.empty(0, dtype=bool)

    def compute(self, s: pd.Series, m: int) -> None:
        ov = self.overlay
        smooth = s.rolling(ov.sentiment_smoothing, min_periods=1).mean().to_numpy()
        start = bool(self.state[m - 1]) if m else False
        state = hysteresis(smooth[m:] < ov.fear_below, smooth[m:] > ov.recover_above, start=start)
        self.smooth, self.state = smooth, np.r_[self.state[:m], state]


def _row_sums(a: np.ndarray) -> np.ndarray:
    """Each row's sum, adding the columns in order (what NumPy does for a panel's column-major array)."""
    out = np.zeros(a.shape[0])
    for j in range(a.shape[1]):
        out += a[:, j]
    return out


def _store(key: tuple, roots: list[np.ndarray], make: Callable[[ArraysSeen], _P]) -> _P | None:
    cache = scoped()
    if cache is None or cache.size(_BUCKET) == 0:
        return None
    store: _P | None = cache.get(_BUCKET, key)
    if store is None or not store.seen.still(cache, roots):
        seen = ArraysSeen(roots)
        store = cache.put(_BUCKET, key, make(seen))
        seen.verified(cache, roots)
    return store


def trend_at(data: MarketData, overlay: Any) -> tuple[bool, float] | None:
    """``(bearish?, level / MA - 1)`` at ``data``'s last bar from the run's path; ``None`` outside a run."""
    close = data.close
    if len(close) == 0:
        return None
    names = close.columns.tolist()
    if overlay.market == "cap_weighted":
        if data.market_cap is None:
            return None  # the view's own computation raises the error
        stables = set(data.assets.stablecoins())
        cols = np.array([j for j, c in enumerate(names) if c not in stables], dtype=int)
        panels = [close, data.market_cap]
    else:
        if overlay.market not in names:
            return None
        cols = np.array([names.index(overlay.market)], dtype=int)
        panels = [close]
    roots = [root_array(p.to_numpy()) for p in panels]
    key = ("trend", overlay.market, overlay.ma_days, overlay.band, tuple(id(r) for r in roots),
           tuple(names), close.index[0].value, tuple(cols.tolist()))  # fmt: skip
    store = _store(key, roots, lambda seen: _TrendPath(seen, overlay, cols))
    if store is None:
        return None
    with store.lock:
        n = store.sync(close.index, lambda: store.full(data), lambda m: store.extend(data, m))
        return bool(store.state[n - 1]), float(store.gap[n - 1])


def sentiment_at(data: MarketData, overlay: Any, as_of: pd.Timestamp) -> tuple[pd.Timestamp, bool, float] | None:
    """Return ``(time of the last value, bearish?, smoothed value)`` of the sentiment index up to ``as_of``.

    Read from the run's path; ``None`` outside a run or when there is no value up to ``as_of``.
    """
    idx = data.sentiment.index
    if idx is None or len(idx) == 0:
        return None
    times = idx.index
    vals = idx.to_numpy(dtype="float64")
    if times.is_monotonic_increasing and times[-1] <= as_of:  # a point-in-time view: every value is known
        pos = np.flatnonzero(~np.isnan(vals))
    else:
        pos = np.flatnonzero(~np.isnan(vals) & np.asarray(times <= as_of))
    if len(pos) == 0:
        return None
    roots = [root_array(np.asarray(idx.to_numpy())), root_array(np.asarray(times.asi8))]
    key = ("sentiment", overlay.sentiment_smoothing, overlay.fear_below, overlay.recover_above,
           tuple(id(r) for r in roots), times[0].value)  # fmt: skip
    store = _store(key, roots, lambda seen: _SentimentPath(seen, overlay))
    if store is None:
        return None
    with store.lock:
        known = times[pos]
        s = lambda: pd.Series(vals[pos], index=known)  # noqa: E731  (the index's known values, NaN dropped)
        n = store.sync(known, lambda: store.compute(s(), 0), lambda m: store.compute(s(), m))
        return known[n - 1], bool(store.state[n - 1]), float(store.smooth[n - 1])
