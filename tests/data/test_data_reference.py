"""The reference import from ../shared/data: coverage, units, provenance, cache."""

from __future__ import annotations

import pandas as pd
import pytest

from indexer.data import MarketData, default_registry, load_reference
from indexer.data.parquet_cache import load_market_data
from indexer.data.reference_data import MIN_HISTORY_DAYS, REFERENCE_START


def test_universe_size_span_and_stablecoins(reference: MarketData) -> None:
    reg = reference.assets
    non_stable = [a for a in reference.symbols if reg.kind(a) != "stablecoin"]
    assert len(non_stable) >= 20
    long = [a for a in non_stable if reference.close[a].notna().sum() >= 4 * 365]
    assert len(long) >= 20, long
    assert reference.start == REFERENCE_START
    assert (reference.end - reference.start).days >= 4 * 365
    assert reference.end >= pd.Timestamp("2025-10-01", tz="UTC")
    for s in ("USDT", "USDC"):
        assert s in reference.symbols and reg.kind(s) == "stablecoin"
        assert abs(reference.close[s].median() - 1.0) < 0.01


def test_registry_covers_every_asset(reference: MarketData) -> None:
    reg = default_registry()
    missing = [a for a in reference.symbols if a not in reg]
    assert not missing
    dropped = reference.provenance["dropped"]
    assert [a for a in dropped if a not in reg] == []


def test_volume_is_usd(reference: MarketData) -> None:
    # Coinbase BTC/USD trades roughly 0.1-5 bn USD a day; base units would be ~1e4.
    btc = reference.volume["BTC"].loc["2021":"2024"].median()
    assert 1e8 < btc < 1e10
    # Yahoo-style volumes are aggregate USD volumes: ETH-era XRP in the 1e8..1e11 range.
    assert 1e8 < reference.volume["XRP"].loc["2021":"2024"].median() < 1e11


def test_market_cap_point_in_time_estimate(reference: MarketData) -> None:
    mc, close = reference.market_cap, reference.close
    assert mc is not None
    # BTC implied supply stays between 18 and 21 million from 2020 on (the window this test covered
    # before issue 13) and between 16 and 18.2 million in 2017-2019 (Coin Metrics CapMrktCurUSD).
    supply = (mc["BTC"] / close["BTC"]).dropna()
    assert 18e6 < supply.loc["2020":].min() and supply.max() < 21e6
    assert 16e6 < supply.loc["2017":"2019"].min() and supply.loc["2017":"2019"].max() < 18.2e6
    # NaN market cap wherever the close is NaN.
    assert not (mc.notna() & close.isna()).to_numpy().any()
    # SOL is estimated from monthly CMC supply: on each day the supply used is the latest snapshot's.
    sol = (mc["SOL"] / close["SOL"]).loc["2023-03-15"]
    assert 3e8 < sol < 5e8


def test_dropped_assets_have_reasons(reference: MarketData) -> None:
    dropped = reference.provenance["dropped"]
    assert dropped and all(str(MIN_HISTORY_DAYS) in why for why in dropped.values())
    assert all(a not in reference.symbols for a in dropped)


def test_metrics_btc_onchain(reference: MarketData) -> None:
    for name in ("TxCnt", "AdrActCnt", "FeeTotUSD", "TxTfrValAdjUSD", "CapMrktCurUSD", "HashRate"):
        panel = reference.metrics[name]
        assert panel.index.equals(reference.index) and panel.columns.equals(reference.close.columns)
    full = load_reference(full_history=True)
    tx = full.metrics["TxCnt"]["BTC"].dropna()
    # Since issue 13 BTC TxCnt is daily Coin Metrics (community to 2020-07, then the 2020-2026 snapshot) and runs
    # to the last bar; blockchain.com (to 2019-06-07) only fills where Coin Metrics has nothing.
    assert tx.index[0] >= full.start and tx.index[-1] == full.end
    assert 150_000 < tx.loc["2018"].median() < 400_000
    # on-chain activity for at least 12 assets in 2018-2020 (was BTC only)
    window = full.metrics["AdrActCnt"].loc["2018":"2020"]
    assert (window.notna().mean() > 0.5).sum() >= 12


def test_sentiment(reference: MarketData) -> None:
    idx = reference.sentiment.index
    assert idx is not None and idx.between(0, 100).all() and idx.index.tz is not None
    tx = reference.sentiment.texts
    assert {"timestamp", "text", "label", "url", "assets"} <= set(tx.columns)
    assert len(tx) == 8113 + 7524 + 2260  # every dated news file (indexer.data.sources.news_archive)
    assert int(tx["label"].notna().sum()) == 8113  # price-momentum labels only in news/
    assert tx["assets"].map(lambda a: "BTC" in a).mean() > 0.5
    assert tx["assets"].map(lambda a: "ETH" in a).sum() > 500
    assert all(isinstance(a, tuple) for a in tx["assets"].head(50))


def test_until_is_point_in_time(reference: MarketData) -> None:
    t = pd.Timestamp("2022-06-30", tz="UTC")
    view = reference.until(t)
    assert view.end == t and view.close.index[-1] == t
    assert (view.sentiment.texts["timestamp"] <= t).all()
    assert view.sentiment.index.index[-1] <= t
    pd.testing.assert_frame_equal(view.close, reference.close.loc[:t])


def test_fresh_import_equals_cached_load(shared_data, tmp_path) -> None:
    fresh = load_reference(source=shared_data, data_dir=tmp_path)  # imports and writes the cache
    cached = load_reference(source=shared_data, data_dir=tmp_path)  # reads the parquet cache
    assert cached.provenance["cache_format"] >= 1 and "cache_format" not in fresh.provenance
    for name in ("close", "volume", "market_cap"):
        pd.testing.assert_frame_equal(getattr(cached, name), getattr(fresh, name), check_freq=False)
    assert list(cached.metrics) == list(fresh.metrics)
    for k, v in fresh.metrics.items():
        pd.testing.assert_frame_equal(cached.metrics[k], v, check_freq=False)
    pd.testing.assert_series_equal(cached.sentiment.index, fresh.sentiment.index, check_freq=False)
    assert cached.sentiment.texts["text"].tolist() == fresh.sentiment.texts["text"].tolist()
    assert cached.sentiment.texts["assets"].tolist() == fresh.sentiment.texts["assets"].tolist()
    assert cached.provenance["dropped"] == fresh.provenance["dropped"]
    full = load_market_data(tmp_path / "reference")
    assert full.start == pd.Timestamp("2014-09-17", tz="UTC") and full.end == cached.end


def test_load_reference_without_any_source_says_what_to_do(tmp_path) -> None:
    from indexer.exceptions import DataError

    with pytest.raises(DataError, match="indexer data fetch"):
        load_reference(source=tmp_path / "nowhere", data_dir=tmp_path / "cache")


def test_registry_entries_are_curated() -> None:
    from indexer.data.registry import ASSET_KINDS

    reg = default_registry()
    assert len(reg) >= 150
    for sym, asset in reg.items():
        assert asset.kind in ASSET_KINDS and asset.themes, sym
        assert asset.name and all(t == t.lower() for t in asset.themes), sym
    assert reg.kind("BTC") == "currency" and "btc-ecosystem" in reg.themes("BTC")
    assert set(reg.stablecoins()) >= {"USDT", "USDC", "DAI"}
    assert {"FET", "GRT"} <= set(reg.with_theme("ai"))
    assert {"AAVE", "LDO", "BNT"} <= set(reg.of_kind("defi"))
