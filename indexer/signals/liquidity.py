"""Liquidity: traded value and Amihud illiquidity (liquid assets score higher, as an index fund prefers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexer.signals._util import positive_int, require_volume
from indexer.signals.base import Signal, register_signal

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["Volume", "Amihud"]


@register_signal("volume")
class Volume(Signal):
    """``log`` of the mean daily traded value (USD) over the last ``window`` bars.

    Needs at least ``window // 2`` observed bars in the window.
    """

    summary = "log mean daily USD volume over `window` days"
    inputs = ("close", "volume")
    last_row_extra = 0

    def __init__(self, window: int = 30) -> None:
        self.window = positive_int("window", window)

    @property
    def lookback(self) -> int:
        """Bars of history needed: ``window``."""
        return self.window

    def compute(self, data: MarketData) -> pd.DataFrame:
        """Compute log mean traded value (USD) over ``window`` bars."""
        vol = require_volume(data, self.name)
        return np.log(vol.rolling(self.window, min_periods=max(1, self.window // 2)).mean())


@register_signal("amihud")
class Amihud(Signal):
    """Negative log Amihud illiquidity: ``-log(mean(|r_t| / volume_t))`` over ``window`` bars.

    ``r_t`` are daily simple returns (fractions), ``volume_t`` traded value in
    USD; a higher value means a smaller price move per dollar traded (more
    liquid).  Zero-volume bars are ignored; windows with no price move give NaN.
    """

    summary = "-log Amihud illiquidity (mean |return| per USD traded) over `window` days"
    inputs = ("close", "volume")
    last_row_extra = 0

    def __init__(self, window: int = 30) -> None:
        self.window = positive_int("window", window)

    @property
    def lookback(self) -> int:
        """Bars of history needed: ``window + 1``."""
        return self.window + 1

    def compute(self, data: MarketData) -> pd.DataFrame:
        """Compute the negative log Amihud illiquidity over ``window`` bars."""
        vol = require_volume(data, self.name)
        illiq = (data.close.pct_change(fill_method=None).abs() / vol)
        m = illiq.rolling(self.window, min_periods=max(1, self.window // 2)).mean()
        return -np.log(m.where(m > 0))
