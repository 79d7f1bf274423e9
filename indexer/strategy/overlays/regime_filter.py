"""``regime_filter``: move part or all of the portfolio to CASH in a bear regime, back on recovery.

Two conditions, each with a hysteresis band so the switch does not flap:

* trend: the market (``BTC`` or any symbol, or a ``cap_weighted`` index of
  all non-stablecoin assets) below its ``ma_days`` moving average by more than
  ``band``; bullish again only above the average by ``band``;
* sentiment: the Fear & Greed index (``data.sentiment.index``, 0-100, averaged
  over ``sentiment_smoothing`` days) below ``fear_below``; recovered above
  ``recover_above``.

The exposure is ``exposures[k]`` where ``k`` is the number of bearish conditions.
States are scanned from the first bar of the point-in-time data, so the
decision at t depends only on rows up to t.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from indexer.exceptions import DataError
from indexer.strategy.overlays.base import OverlayContext, OverlayResult, hysteresis, scale_exposure
from indexer.strategy.overlays.regime_paths import sentiment_at, trend_at

__all__ = ["RegimeFilter", "market_level"]


def market_level(data, market: str) -> pd.Series:
    """Level of the trend market: a symbol's close, or a cap-weighted index of non-stablecoins (starts at 1)."""
    if market != "cap_weighted":
        if market not in data.close.columns:
            raise DataError(f"regime_filter.market: {market!r} is not in the data; use a symbol or 'cap_weighted'")
        return data.close[market].ffill()
    if data.market_cap is None:
        raise DataError("regime_filter.market=cap_weighted needs a market_cap panel; the data has none")
    stables = set(data.assets.stablecoins())
    cols = [c for c in data.close.columns if c not in stables]
    px = data.close[cols].to_numpy(dtype="float64")
    caps = data.market_cap[cols].to_numpy(dtype="float64")
    daily = np.zeros(len(px))
    if len(px) > 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            r = px[1:] / px[:-1] - 1.0
        w = caps[:-1]  # yesterday's caps weigh today's returns
        ok = np.isfinite(r) & np.isfinite(w) & (w > 0)
        w = np.where(ok, w, 0.0)
        tot = w.sum(axis=1)
        num = np.where(ok, r, 0.0) * w
        daily[1:] = np.divide(num.sum(axis=1), tot, out=np.zeros_like(tot), where=tot > 0)
    return pd.Series(np.cumprod(1.0 + daily), index=data.close.index, name="cap_weighted")


class RegimeFilter(BaseModel):
    """Parameters of the ``regime_filter`` overlay (see module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Literal["regime_filter"] = "regime_filter"
    market: str = Field("cap_weighted", description="'cap_weighted' or a symbol such as BTC.")
    ma_days: int = Field(200, ge=2)
    band: float = Field(0.02, ge=0.0, lt=1.0)
    use_sentiment: bool = True
    fear_below: float = Field(25.0, ge=0.0, le=100.0)
    recover_above: float = Field(45.0, ge=0.0, le=100.0)
    sentiment_smoothing: int = Field(7, ge=1)
    sentiment_max_stale_days: int = Field(10, ge=0)
    exposures: list[float] = Field(default_factory=lambda: [1.0, 0.5, 0.0], min_length=2, max_length=3)

    @model_validator(mode="after")
    def _check(self) -> RegimeFilter:
        if self.recover_above < self.fear_below:
            raise ValueError(f"recover_above ({self.recover_above}) must be >= fear_below ({self.fear_below})")
        if any(not 0.0 <= x <= 1.0 for x in self.exposures):
            raise ValueError(f"exposures must be fractions in [0, 1]; got {self.exposures}")
        if any(b > a for a, b in zip(self.exposures, self.exposures[1:], strict=False)):
            raise ValueError(f"exposures must not increase with more bearish conditions; got {self.exposures}")
        return self

    @property
    def lookback(self) -> int:
        """Bars of history needed: ``ma_days``."""
        return self.ma_days

    def trend_state(self, data) -> tuple[bool, float]:
        """(bearish?, level / MA - 1) at the last bar (inside a run: from the run's path, extended by new bars)."""
        got = trend_at(data, self)
        if got is not None:
            return got
        level = market_level(data, self.market)
        ma = level.rolling(self.ma_days, min_periods=self.ma_days).mean()
        gap = (level / ma - 1.0).to_numpy()
        known = np.isfinite(gap)
        enter = known & (gap < -self.band)
        leave = known & (gap > self.band)
        state = hysteresis(enter, leave)
        return (bool(state[-1]) if len(state) else False), (float(gap[-1]) if len(gap) else float("nan"))

    def sentiment_state(self, data, as_of: pd.Timestamp) -> tuple[bool, float, str]:
        """(bearish?, smoothed index value, note) at ``as_of``; neutral when absent or stale."""
        idx = data.sentiment.index
        if idx is None or len(idx.dropna()) == 0:
            return False, float("nan"), "no sentiment index in the data: treated as neutral"
        got = sentiment_at(data, self, as_of)  # inside a run: the run's path, extended by new values
        if got is None:
            s = idx.dropna().astype("float64")
            s = s[s.index <= as_of]
            if len(s) == 0:
                return False, float("nan"), "no sentiment value up to as_of: treated as neutral"
            smooth = s.rolling(self.sentiment_smoothing, min_periods=1).mean().to_numpy()
            state = hysteresis(smooth < self.fear_below, smooth > self.recover_above)
            got = (s.index[-1], bool(state[-1]), float(smooth[-1]))
        last, bear, value = got
        age = (as_of - last).days
        if age > self.sentiment_max_stale_days:
            return False, value, f"sentiment index stale ({age} days old): treated as neutral"
        return bear, value, ""

    def apply(self, weights: pd.Series, ctx: OverlayContext) -> OverlayResult:
        """Set risky exposure by the number of bearish conditions (trend, sentiment): ``exposures[k]``."""
        trend_bear, gap = self.trend_state(ctx.data)
        sent_bear, fg, note = (False, float("nan"), "sentiment disabled")
        if self.use_sentiment:
            sent_bear, fg, note = self.sentiment_state(ctx.data, ctx.as_of)
        k = int(trend_bear) + int(sent_bear)
        exposure = self.exposures[min(k, len(self.exposures) - 1)]
        info = {
            "name": self.name,
            "market": self.market,
            "trend_bearish": trend_bear,
            "market_vs_ma": None if not np.isfinite(gap) else round(gap, 6),
            "sentiment_bearish": sent_bear,
            "fear_greed": None if not np.isfinite(fg) else round(fg, 3),
            "exposure": exposure,
        }
        if note:
            info["note"] = note
        return OverlayResult(scale_exposure(weights, exposure), info)
