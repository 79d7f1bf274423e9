"""Real-data slices for the signal tests (from the session ``reference`` fixture)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from indexer.data import MarketData


@pytest.fixture(scope="session")
def news_slice(reference: MarketData) -> MarketData:
    """2022-06..2023-06: prices of the reference universe, Fear & Greed and the dated news."""
    return reference.between("2022-06-01", "2023-06-30")


@pytest.fixture(scope="session")
def btc_history(shared_data) -> MarketData:
    """BTC, LTC and ETH 2016-01..2019-06 with BTC's real on-chain metrics (blockchain.com)."""
    from indexer.data import load_reference

    full = load_reference(source=shared_data, full_history=True)
    return full.select(["BTC", "ETH", "LTC"]).between("2016-01-01", "2019-06-30")


def with_empty_asset(data: MarketData, name: str = "NODATA") -> MarketData:
    """``data`` plus an asset with no inputs at all (NaN everywhere, no texts)."""
    add = lambda p: None if p is None else p.assign(**{name: np.nan}).rename_axis(columns="asset")  # noqa: E731
    return replace(
        data,
        close=add(data.close),
        volume=add(data.volume),
        market_cap=add(data.market_cap),
        metrics={k: add(v) for k, v in data.metrics.items()},
    )


@pytest.fixture(scope="session")
def empty_asset():
    """The :func:`with_empty_asset` helper."""
    return with_empty_asset
