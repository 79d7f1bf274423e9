"""Momentum family: horizon returns (cross-sectional or time-series), vol-adjusted momentum, trend strength."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexer.signals._util import choice, nonneg_int, positive_int, rolling_std_values, shift_rows
from indexer.signals.base import Signal, register_signal

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["Momentum", "VolAdjustedMomentum", "TrendTStat", "MASlope"]


@register_signal("momentum")
class Momentum(Signal):
    """Return over ``horizon`` bars ending ``skip`` bars ago.

    ``mode="cross_sectional"`` gives the simple return (fraction), to be ranked
    across assets; ``mode="time_series"`` gives its sign (+1 up-trend, -1
    down-trend), the classic per-asset time-series momentum rule.

    Value at t: ``close[t-skip] / close[t-skip-horizon] - 1``.
    """

    summary = "return over `horizon` days skipping the last `skip` (cross_sectional) or its sign (time_series)"
    #: One more bar: the price the return starts from.
    last_row_extra = 1

    def __init__(self, horizon: int = 30, skip: int = 0, mode: str = "cross_sectional") -> None:
        self.horizon = positive_int("horizon", horizon)
        self.skip = nonneg_int("skip", skip)
        self.mode = choice("mode", mode, ("cross_sectional", "time_series"))

    @property
    def lookback(self) -> int:
        """Bars of history needed: ``horizon + skip``."""
        return self.horizon + self.skip

    def compute(self, data: MarketData) -> pd.DataFrame:
        """Compute the ``horizon``-bar return ending ``skip`` bars ago (its sign in ``time_series`` mode)."""
        c = data.close.to_numpy(dtype="float64")
        r = shift_rows(c, self.skip) / shift_rows(c, self.skip + self.horizon) - 1.0
        return pd.DataFrame(np.sign(r) if self.mode == "time_series" else r, index=data.close.index, columns=data.close.columns)


@register_signal("vol_adjusted_momentum")
class VolAdjustedMomentum(Signal):
    """Log return over ``horizon`` (ending ``skip`` bars ago) over its volatility.

    Value at t: ``log(close[t-skip]/close[t-skip-horizon]) / (sd * sqrt(horizon))``
    where ``sd`` is the sample standard deviation of the daily log returns of
    the last ``vol_window`` bars (at least ``vol_window`` of them).
    """

    summary = "horizon log return / (daily log-return sd over vol_window x sqrt(horizon))"

    def __init__(self, horizon: int = 90, skip: int = 0, vol_window: int = 90) -> None:
        self.horizon = positive_int("horizon", horizon)
        self.skip = nonneg_int("skip", skip)
        self.vol_window = positive_int("vol_window", vol_window, minimum=2)

    @property
    def lookback(self) -> int:
        """Bars of history needed for the return and its volatility."""
        return max(self.horizon + self.skip, self.vol_window + 1)

    @property
    def last_row_window(self) -> int:
        """Trailing bars that determine the last row."""
        return max(self.horizon + self.skip, self.vol_window) + 1

    def compute(self, data: MarketData) -> pd.DataFrame:
        """Compute the log return over its rolling volatility."""
        lc = np.log(data.close.to_numpy(dtype="float64"))
        ret = shift_rows(lc, self.skip) - shift_rows(lc, self.skip + self.horizon)
        sd = rolling_std_values(lc - shift_rows(lc, 1), self.vol_window)
        with np.errstate(invalid="ignore"):
            out = ret / np.where(sd > 0, sd * np.sqrt(self.horizon), np.nan)
        return pd.DataFrame(out, index=data.close.index, columns=data.close.columns)


@register_signal("trend_tstat")
class TrendTStat(Signal):
    """t-statistic of the OLS slope of log price on time over the last ``window`` bars.

    Needs a full window of prices; strong, steady up-trends score highest.
    """

    summary = "t-stat of the OLS slope of log close on time over `window` days"
    #: The regression window.
    last_row_extra = 0

    def __init__(self, window: int = 60) -> None:
        self.window = positive_int("window", window, minimum=3)

    @property
    def lookback(self) -> int:
        """Bars of history needed: ``window``."""
        return self.window

    def compute(self, data: MarketData) -> pd.DataFrame:
        """Compute the t-statistic of the log-price trend over ``window`` bars."""
        w = self.window
        y = np.log(data.close)
        k = pd.Series(np.arange(len(y), dtype="float64"), index=y.index)
        roll = lambda f: f.rolling(w, min_periods=w).mean()  # noqa: E731
        my, myy = roll(y), roll(y * y)
        mk = roll(k)
        mky = roll(y.mul(k, axis=0))
        var_k = (w * w - 1.0) / 12.0  # variance of w consecutive integers (population)
        cov = mky - my.mul(mk, axis=0)
        slope = cov / var_k
        var_y = (myy - my * my).clip(lower=0.0)
        sse = (w * (var_y - slope * slope * var_k)).clip(lower=0.0)
        se = np.sqrt(sse / (w - 2) / (w * var_k))
        return (slope / se.where(se > 1e-12)).where(y.notna())


@register_signal("ma_slope")
class MASlope(Signal):
    """Relative change of the ``window``-bar moving average over the last ``slope_days`` bars.

    Value at t: ``MA[t] / MA[t-slope_days] - 1`` (fraction).
    """

    summary = "MA(window)[t] / MA(window)[t - slope_days] - 1"
    last_row_extra = 0

    def __init__(self, window: int = 50, slope_days: int = 10) -> None:
        self.window = positive_int("window", window)
        self.slope_days = positive_int("slope_days", slope_days)

    @property
    def lookback(self) -> int:
        """Bars of history needed: ``window + slope_days``."""
        return self.window + self.slope_days

    def compute(self, data: MarketData) -> pd.DataFrame:
        """Compute the relative change of the moving average over ``slope_days`` bars."""
        ma = data.close.rolling(self.window, min_periods=self.window).mean()
        return ma / ma.shift(self.slope_days) - 1.0
