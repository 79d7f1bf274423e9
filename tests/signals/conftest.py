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
def btc_history(shared_data, tmp_path_factory) -> MarketData:
    """BTC, LTC and ETH 2016-01..2019-06 with BTC's real on-chain metrics (blockchain.com, every ~3 days).

    Imported from the price folders and ``onchain_btc_blockchain_com`` only: since issue 13 the full
    reference prefers daily Coin Metrics metrics (and has them for ETH and LTC too, see
    ``onchain_history``); these tests check the sparse blockchain.com series by hand.
    """
    from indexer.data.reference_data import import_reference

    src = tmp_path_factory.mktemp("blockchain-com-only")
    for name in ("daily_ohlcv_usd", "coinbase_cmc", "onchain_btc_blockchain_com"):
        (src / name).symlink_to(shared_data / name)
    full = import_reference(src, tmp_path_factory.mktemp("blockchain-com-cache"))
    return full.select(["BTC", "ETH", "LTC"]).between("2016-01-01", "2019-06-30")


@pytest.fixture(scope="session")
def onchain_history(reference: MarketData) -> MarketData:
    """The reference 2017-01..2020-07 (daily Coin Metrics on-chain metrics for 13 assets)."""
    return reference.between("2017-01-01", "2020-07-27")


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
