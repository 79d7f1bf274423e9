"""Helpers for backtest tests: a tiny StrategyLike with fixed weights and synthetic market data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer._typing import CASH, TargetPortfolio
from indexer.data import MarketData


class FixedWeights:
    """A StrategyLike holding fixed weights, recording what it was shown at each call."""

    def __init__(self, weights: dict[str, float], every: str = "monthly", lookback: int = 1, name: str = "fixed"):
        self.weights = dict(weights)
        self.every = every
        self._lookback = lookback
        self.name = name
        self.calls: list[tuple[pd.Timestamp, pd.Timestamp, pd.Series | None]] = []

    @property
    def lookback(self) -> int:
        return self._lookback

    def rebalance_dates(self, index: pd.DatetimeIndex) -> pd.DatetimeIndex:
        if self.every == "never":
            return index[:0]
        if self.every == "daily":
            return index
        if self.every == "weekly":
            return index[index.dayofweek == 0]
        key = index.year * 12 + index.month
        return index[np.r_[True, key[1:] != key[:-1]]]

    def target(self, data, as_of, *, previous=None) -> TargetPortfolio:
        self.calls.append((pd.Timestamp(as_of), data.close.index[-1], previous))
        w = dict(self.weights)
        w.setdefault(CASH, 1.0 - sum(w.values()))
        return TargetPortfolio(pd.Timestamp(as_of), pd.Series(w))


def synthetic(prices: dict[str, list[float]] | pd.DataFrame, start: str = "2024-01-01") -> MarketData:
    """MarketData from price lists (daily UTC bars)."""
    df = pd.DataFrame(prices, dtype=float)
    df.index = pd.date_range(start, periods=len(df), freq="D", tz="UTC", name="timestamp")
    df.columns.name = "asset"
    return MarketData(close=df)


@pytest.fixture
def fixed_weights():
    return FixedWeights


@pytest.fixture
def make_data():
    return synthetic
