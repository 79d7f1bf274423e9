"""On-chain signals: real BTC blockchain.com history by hand, and cross-sectional behaviour on a built panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer.data import MarketData
from indexer.signals import get

T = "2018-06-30"


def _ffilled(data, name, limit=7):
    return data.metrics[name]["BTC"].ffill(limit=limit).loc[:T]


def test_active_address_growth_by_hand(btc_history) -> None:
    a = _ffilled(btc_history, "AdrActCnt")
    expected = np.log(a.iloc[-7:].mean() / a.iloc[-37:-30].mean())
    got = get("active_address_growth", window=30, smooth=7)(btc_history).loc[T]
    assert got["BTC"] == pytest.approx(expected, rel=1e-12)
    assert np.isnan(got["ETH"]) and np.isnan(got["LTC"])  # no on-chain data for them


def test_tx_count_growth_fee_revenue_nvt_by_hand(btc_history) -> None:
    tx = _ffilled(btc_history, "TxCnt")
    fees = _ffilled(btc_history, "FeeTotUSD")
    tv = _ffilled(btc_history, "TxTfrValAdjUSD")
    cap = _ffilled(btc_history, "CapMrktCurUSD").iloc[-1]
    assert get("tx_count_growth", window=14, smooth=3)(btc_history).loc[T, "BTC"] == pytest.approx(
        np.log(tx.iloc[-3:].mean() / tx.iloc[-17:-14].mean()), rel=1e-12
    )
    assert get("fee_revenue", smooth=30)(btc_history).loc[T, "BTC"] == pytest.approx(fees.iloc[-30:].mean() * 365 / cap, rel=1e-12)
    assert get("nvt", smooth=28)(btc_history).loc[T, "BTC"] == pytest.approx(-np.log(cap / tv.iloc[-28:].mean()), rel=1e-12)


def test_onchain_sparse_series_stop_after_ffill_limit(btc_history) -> None:
    # blockchain.com charts end 2019-06-07: values carry at most ffill_limit days, then NaN
    out = get("nvt", smooth=7, ffill_limit=3)(btc_history)["BTC"]
    assert out.last_valid_index() <= pd.Timestamp("2019-06-10", tz="UTC")


def test_cross_sectional_onchain_on_built_panel() -> None:
    idx = pd.date_range("2024-01-01", periods=40, freq="D", tz="UTC", name="timestamp")
    cols = pd.Index(["AAA", "BBB", "CCC"], name="asset")
    close = pd.DataFrame(1.0, index=idx, columns=cols)
    adr = pd.DataFrame(
        {"AAA": 100.0 * 1.01 ** np.arange(40), "BBB": np.full(40, 500.0), "CCC": np.nan}, index=idx
    ).rename_axis(columns="asset")
    cap = pd.DataFrame({"AAA": 1e9, "BBB": 1e9, "CCC": 1e9}, index=idx).rename_axis(columns="asset")
    tv = pd.DataFrame({"AAA": 1e8, "BBB": 2e7, "CCC": np.nan}, index=idx).rename_axis(columns="asset")
    data = MarketData(close=close, metrics={"AdrActCnt": adr, "CapMrktCurUSD": cap, "TxTfrValAdjUSD": tv})
    g = get("active_address_growth", window=10, smooth=1)(data).iloc[-1]
    assert g["AAA"] == pytest.approx(10 * np.log(1.01), rel=1e-12)
    assert g["BBB"] == pytest.approx(0.0, abs=1e-15)
    assert np.isnan(g["CCC"])
    nvt = get("nvt", smooth=5)(data).iloc[-1]
    assert nvt["AAA"] == pytest.approx(-np.log(10.0)) and nvt["BBB"] == pytest.approx(-np.log(50.0))
    assert nvt["AAA"] > nvt["BBB"] and np.isnan(nvt["CCC"])  # lower NVT ranks higher; no data -> NaN
    tvl = pd.DataFrame({"AAA": 5e8, "BBB": np.nan, "CCC": 2e9}, index=idx).rename_axis(columns="asset")
    data = MarketData(close=close, metrics={"TVL": tvl, "CapMrktCurUSD": cap})
    ratio = get("tvl_ratio", smooth=3)(data).iloc[-1]
    assert ratio["AAA"] == pytest.approx(np.log(0.5)) and ratio["CCC"] == pytest.approx(np.log(2.0))
    assert np.isnan(ratio["BBB"])
    # no metrics at all -> NaN everywhere, not an error
    assert get("tx_count_growth")(MarketData(close=close)).isna().all().all()


def test_onchain_signals_read_the_reference_names_2018_2020(onchain_history) -> None:
    """Issue 13: the registered on-chain signals get values for >= 12 assets in 2018-2020 from Coin Metrics names."""
    data = onchain_history
    for name, kwargs in (("active_address_growth", {"window": 30, "smooth": 7}), ("tx_count_growth", {"window": 30, "smooth": 7}),
                         ("nvt", {"smooth": 28})):
        sig = get(name, **kwargs)(data)
        covered = sig.loc["2018-01-01":"2020-07-27"].notna().mean()
        assert (covered > 0.9).sum() >= (12 if name != "nvt" else 10), (name, covered[covered > 0.9].index.tolist())
    # ETH by hand at 2019-06-30: log growth of the 7-day mean of Coin Metrics AdrActCnt over 30 days
    a = data.metrics["AdrActCnt"]["ETH"].loc[:"2019-06-30"]
    expected = np.log(a.iloc[-7:].mean() / a.iloc[-37:-30].mean())
    got = get("active_address_growth", window=30, smooth=7)(data).loc["2019-06-30", "ETH"]
    assert got == pytest.approx(expected, rel=1e-12)
