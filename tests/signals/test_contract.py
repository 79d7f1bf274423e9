"""Every registered signal through the same checks: shape, determinism, NaN on missing inputs, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer.signals import available, get

#: Which data set must give each signal real (non-NaN) values.
COVERAGE = {
    "active_address_growth": "btc_history",
    "tx_count_growth": "btc_history",
    "fee_revenue": "btc_history",
    "nvt": "btc_history",
    "tvl_ratio": None,  # no dated TVL history in the reference data (one 2025-11 snapshot, after the last bar)
    "tvl_growth": None,
}
CUT = {"news_slice": "2023-02-15", "btc_history": "2018-03-10"}


def test_registry_lists_every_family() -> None:
    names = set(available())
    assert {"momentum", "vol_adjusted_momentum", "trend_tstat", "ma_slope", "volume", "amihud"} <= names
    assert {"active_address_growth", "tx_count_growth", "fee_revenue", "nvt"} <= names
    assert {"news_sentiment", "news_volume", "fear_greed"} <= names


@pytest.mark.parametrize("dataset", ["news_slice", "btc_history"])
@pytest.mark.parametrize("name", available())
def test_signal_contract(name: str, dataset: str, request: pytest.FixtureRequest, empty_asset) -> None:
    data = request.getfixturevalue(dataset)
    sig = get(name)
    assert isinstance(sig.lookback, int) and sig.lookback >= 0
    out = sig(data)
    # shape and index
    assert out.index.equals(data.close.index) and out.columns.equals(data.close.columns)
    assert all(out.dtypes == "float64")
    assert not np.isinf(out.to_numpy()).any()
    if COVERAGE.get(name, "news_slice") == dataset:
        assert out.notna().any().any(), f"{name} gives no values on {dataset}"
    # determinism
    pd.testing.assert_frame_equal(out, sig(data))
    # NaN where the inputs are missing
    empty = sig(empty_asset(data))
    assert empty["NODATA"].isna().all()
    # no look-ahead: the point-in-time view gives the same rows
    t = pd.Timestamp(CUT[dataset], tz="UTC")
    pd.testing.assert_frame_equal(sig(data.until(t)), out.loc[:t], rtol=1e-10, atol=1e-12)
    # rows before the lookback are NaN (the declared lookback is an upper bound), price signals only
    if name in ("momentum", "vol_adjusted_momentum", "trend_tstat", "ma_slope"):
        assert out.iloc[: sig.lookback - 1].isna().all().all()
