"""Market-wide regime inputs from the Crypto Fear & Greed index (0-100, ``data.sentiment.index``).

Use :func:`fear_greed` for the (smoothed) index on the bar index and
:func:`risk_on` for a hysteresis regime flag a strategy can gate exposure on.
The registered ``fear_greed`` signal broadcasts the index to every asset (a
time-series signal: constant across assets on a day).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexer.exceptions import SignalError
from indexer.signals._util import nonneg_int, positive_int
from indexer.signals.base import Signal, register_signal

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["fear_greed", "risk_on", "FearGreed"]


def fear_greed(data: MarketData, *, smoothing: int = 1, max_stale_days: int = 3) -> pd.Series:
    """Fear & Greed value (0-100) on ``data.close.index``, mean of the last ``smoothing`` readings.

    A bar takes the latest reading dated on or before it, at most
    ``max_stale_days`` days old (else NaN).  Raises :class:`SignalError` when
    the data carry no index.
    """
    smoothing = positive_int("smoothing", smoothing)
    max_stale_days = nonneg_int("max_stale_days", max_stale_days)
    idx = data.sentiment.index
    if idx is None:
        raise SignalError("fear_greed: data.sentiment.index is missing (Crypto Fear & Greed, 0-100)")
    s = idx.astype("float64").sort_index().rolling(smoothing, min_periods=1).mean()
    bars = data.close.index
    if len(s) == 0:
        return pd.Series(np.nan, index=bars, name="fear_greed")
    pos = s.index.searchsorted(bars, side="right") - 1
    vals = np.where(pos >= 0, s.to_numpy()[np.clip(pos, 0, None)], np.nan)
    age = np.where(pos >= 0, (bars - s.index[np.clip(pos, 0, None)]) / pd.Timedelta(days=1), np.inf)
    out = pd.Series(np.where(age <= max_stale_days, vals, np.nan), index=bars, name="fear_greed")
    out.index.name = "timestamp"
    return out


def risk_on(
    data: MarketData, *, fear_below: float = 25.0, recover_above: float = 45.0, smoothing: int = 7
) -> pd.Series:
    """Compute the boolean regime per bar (hysteresis).

    ``False`` (risk off) once the smoothed index falls below ``fear_below``, ``True`` again once it
    rises above ``recover_above``.

    Starts risk-on; bars without a reading keep the previous state.  Point-in-time:
    the state at t depends on readings up to t only.
    """
    if recover_above < fear_below:
        raise SignalError(f"risk_on: recover_above ({recover_above}) must be >= fear_below ({fear_below})")
    fg = fear_greed(data, smoothing=smoothing).to_numpy()
    state, out = True, np.empty(len(fg), dtype=bool)
    for i, v in enumerate(fg):
        if not np.isnan(v):
            if state and v < fear_below:
                state = False
            elif not state and v > recover_above:
                state = True
        out[i] = state
    return pd.Series(out, index=data.close.index, name="risk_on")


@register_signal("fear_greed")
class FearGreed(Signal):
    """``(F&G - 50) / 50`` on every asset (greed positive); ``contrarian=True`` flips the sign."""

    summary = "market-wide Fear & Greed (-1 extreme fear .. +1 extreme greed), same for every asset"
    inputs = ("close", "fear_greed")

    def __init__(self, smoothing: int = 7, contrarian: bool = False, max_stale_days: int = 3) -> None:
        self.smoothing = positive_int("smoothing", smoothing)
        self.contrarian = bool(contrarian)
        self.max_stale_days = nonneg_int("max_stale_days", max_stale_days)

    @property
    def lookback(self) -> int:
        """Bars of history needed: ``smoothing``."""
        return self.smoothing

    @property
    def last_row_window(self) -> int:
        """One bar: the value comes from the (unsliced, point-in-time) Fear & Greed index."""
        return 1

    def compute(self, data: MarketData) -> pd.DataFrame:
        """Compute the scaled Fear & Greed value on every asset (NaN without an index)."""
        if data.sentiment.index is None:
            return pd.DataFrame(np.nan, index=data.close.index, columns=data.close.columns)
        v = (fear_greed(data, smoothing=self.smoothing, max_stale_days=self.max_stale_days) - 50.0) / 50.0
        v = -v if self.contrarian else v
        vals = np.repeat(v.to_numpy()[:, None], data.close.shape[1], axis=1)
        return pd.DataFrame(vals, index=data.close.index, columns=data.close.columns).where(data.close.notna())
