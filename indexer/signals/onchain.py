"""On-chain activity signals from CoinMetrics-named metric panels (``data.metrics``).

Metrics used: ``AdrActCnt`` (active addresses), ``TxCnt`` (transactions),
``FeeTotUSD`` (fees, USD/day), ``TxTfrValAdjUSD`` (adjusted transfer value,
USD/day), ``CapMrktCurUSD`` (market cap, USD; ``data.market_cap`` fills where
the metric is absent) and, where given, DefiLlama-style ``TVL`` (USD).  Published series may be sparse (blockchain.com charts
come every ~3 days), so each metric is carried forward at most ``ffill_limit``
bars, using past values only.  Assets without the metric get NaN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexer.config import DAYS_PER_YEAR
from indexer.signals._util import choice, metric_panel, nonneg_int, positive_int, require_volume
from indexer.signals.base import Signal, register_signal

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["ActiveAddressGrowth", "TxCountGrowth", "FeeRevenue", "NVT", "TVLRatio", "TVLGrowth", "market_cap_panel"]


def market_cap_panel(data: MarketData, ffill_limit: int) -> pd.DataFrame:
    """``CapMrktCurUSD`` where present, else ``data.market_cap`` (USD)."""
    cap = metric_panel(data, "CapMrktCurUSD", ffill_limit)
    if data.market_cap is not None:
        mc = data.market_cap
        if cap.index.equals(mc.index) and cap.columns.equals(mc.columns):  # aligned panels: NumPy, same values
            v = cap.to_numpy(dtype="float64")
            cap = pd.DataFrame(np.where(np.isnan(v), mc.to_numpy(dtype="float64"), v), index=cap.index, columns=cap.columns)
        else:
            cap = cap.combine_first(mc.astype("float64"))
    return cap.where(cap > 0)


class _Smoothed(Signal):
    """An on-chain metric carried forward at most ``ffill_limit`` bars and averaged over ``smooth`` bars."""

    def __init__(self, smooth: int = 7, ffill_limit: int = 7) -> None:
        self.smooth = positive_int("smooth", smooth)
        self.ffill_limit = nonneg_int("ffill_limit", ffill_limit)

    @property
    def lookback(self) -> int:
        return self.smooth

    @property
    def last_row_window(self) -> int:
        """Trailing bars that determine the last row (incl. the carry-forward limit)."""
        return self.lookback + self.ffill_limit

    def smoothed(self, panel: pd.DataFrame) -> pd.DataFrame:
        """Mean of the positive values over the last ``smooth`` bars (NaN unless all are there)."""
        return panel.where(panel > 0).rolling(self.smooth, min_periods=self.smooth).mean()


class _Growth(_Smoothed):
    metric = ""

    def __init__(self, window: int = 30, smooth: int = 7, ffill_limit: int = 7) -> None:
        super().__init__(smooth, ffill_limit)
        self.window = positive_int("window", window)

    @property
    def lookback(self) -> int:
        return self.window + self.smooth

    def compute(self, data: MarketData) -> pd.DataFrame:
        sm = self.smoothed(metric_panel(data, self.metric, self.ffill_limit))
        return np.log(sm / sm.shift(self.window))


@register_signal("active_address_growth")
class ActiveAddressGrowth(_Growth):
    """Log growth of the ``smooth``-bar mean of active addresses over ``window`` bars.

    Value at t: ``log(mean(AdrActCnt[t-smooth+1..t]) / mean(AdrActCnt[t-window-smooth+1..t-window]))``.
    """

    summary = "log growth of smoothed active addresses (AdrActCnt) over `window` days"
    inputs = ("close", "metric:AdrActCnt")
    metric = "AdrActCnt"


@register_signal("tx_count_growth")
class TxCountGrowth(_Growth):
    """Log growth of the ``smooth``-bar mean transaction count (``TxCnt``) over ``window`` bars."""

    summary = "log growth of smoothed transaction count (TxCnt) over `window` days"
    inputs = ("close", "metric:TxCnt")
    metric = "TxCnt"


@register_signal("fee_revenue")
class FeeRevenue(_Smoothed):
    """Annualised fee yield: ``mean(FeeTotUSD over smooth bars) * 365 / market cap`` (fraction per year).

    A network earning more fees per dollar of value scores higher (like an
    earnings yield).
    """

    summary = "annualised fees (FeeTotUSD, smoothed) / market cap"
    inputs = ("close", "metric:FeeTotUSD", "market_cap")

    def __init__(self, smooth: int = 30, ffill_limit: int = 7) -> None:
        super().__init__(smooth, ffill_limit)

    def compute(self, data: MarketData) -> pd.DataFrame:
        """Compute the annualised fee yield (fraction per year)."""
        fees = metric_panel(data, "FeeTotUSD", self.ffill_limit)
        sm = fees.rolling(self.smooth, min_periods=self.smooth).mean()
        return sm * DAYS_PER_YEAR / market_cap_panel(data, self.ffill_limit)


@register_signal("nvt")
class NVT(_Smoothed):
    """Negative log NVT ratio: ``-log(market cap / mean daily value over smooth bars)``.

    ``denominator="transfer"`` uses on-chain adjusted transfer value
    (``TxTfrValAdjUSD``); ``"volume"`` uses exchange traded value
    (``data.volume``), available for every asset.  Lower NVT (more value moved
    per dollar of capitalisation) scores higher.
    """

    summary = "-log(market cap / smoothed on-chain transfer value or traded volume); low NVT = attractive"

    def __init__(self, smooth: int = 28, denominator: str = "transfer", ffill_limit: int = 7) -> None:
        super().__init__(smooth, ffill_limit)
        self.denominator = choice("denominator", denominator, ("transfer", "volume"))

    def data_inputs(self) -> tuple[str, ...]:
        """Market cap and on-chain transfer value (``denominator="transfer"``) or traded volume."""
        return ("close", "market_cap", "metric:TxTfrValAdjUSD" if self.denominator == "transfer" else "volume")

    def compute(self, data: MarketData) -> pd.DataFrame:
        """Compute the negative log NVT ratio."""
        if self.denominator == "transfer":
            val = metric_panel(data, "TxTfrValAdjUSD", self.ffill_limit)
        else:
            val = require_volume(data, self.name)
        return -np.log(market_cap_panel(data, self.ffill_limit) / self.smoothed(val))


@register_signal("tvl_ratio")
class TVLRatio(_Smoothed):
    """``log(TVL / market cap)``: DeFi value locked per dollar of token value (DefiLlama-style metric ``TVL``, USD).

    Higher means more usage per unit of valuation.  NaN where no TVL is given.
    """

    summary = "log(total value locked (TVL) / market cap), DefiLlama-style metric"
    inputs = ("close", "metric:TVL", "market_cap")

    def compute(self, data: MarketData) -> pd.DataFrame:
        """Compute ``log(TVL / market cap)``."""
        sm = self.smoothed(metric_panel(data, "TVL", self.ffill_limit))
        return np.log(sm / market_cap_panel(data, self.ffill_limit))


@register_signal("tvl_growth")
class TVLGrowth(_Growth):
    """Log growth of the ``smooth``-bar mean ``TVL`` over ``window`` bars."""

    summary = "log growth of smoothed total value locked (TVL) over `window` days"
    inputs = ("close", "metric:TVL")
    metric = "TVL"
