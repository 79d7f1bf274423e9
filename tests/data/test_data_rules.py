"""Import rules: one source per asset-day, explicit repairs, no look-ahead in market caps, clear errors on bad shared files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indexer.data import MarketData
from indexer.data.reference_data import import_reference
from indexer.data.sources.daily_prices import PriceFrame, merge_sources
from indexer.data.sources.market_caps import build_market_cap, read_cmc_snapshots, read_daily_market_caps
from indexer.exceptions import DataError


def _frame(source: str, start: str, n: int, value: float) -> PriceFrame:
    idx = pd.date_range(start, periods=n, freq="D", tz="UTC")
    close = pd.DataFrame({"X": np.full(n, value)}, index=idx)
    return PriceFrame(source, close, close * 10, (source,), {})


def test_merge_prefers_longer_source_and_extends_only_outside() -> None:
    a = _frame("a", "2020-01-01", 100, 1.0)  # primary: more bars since start
    b = _frame("b", "2019-12-01", 60, 2.0)  # overlaps a's start: only its bars before a count
    close, volume, prov = merge_sources([a, b], start=pd.Timestamp("2020-01-01", tz="UTC"), max_gap=3)
    x = close["X"].dropna()
    assert x.loc[:"2019-12-31"].eq(2.0).all() and x.loc["2020-01-01":].eq(1.0).all()
    assert prov["X"]["primary"] == "a" and prov["X"]["days"] == {"a": 100, "b": 31}
    assert any("inside the a range" in s for s in prov["X"]["ignored"])
    assert volume["X"].loc["2020-01-05"] == 10.0


def test_merge_refuses_join_across_a_gap() -> None:
    a = _frame("a", "2020-01-01", 100, 1.0)
    b = _frame("b", "2020-05-01", 10, 2.0)  # starts 21 days after a ends
    close, _, prov = merge_sources([a, b], start=pd.Timestamp("2020-01-01", tz="UTC"), max_gap=3)
    assert close["X"].dropna().eq(1.0).all()
    assert "gap of 21 days > 3" in prov["X"]["ignored"][0]


def test_repairs_and_incomplete_bars_recorded(reference: MarketData) -> None:
    prov = reference.provenance
    assert "AVAX" in prov["repairs"] and "before a gap" in prov["repairs"]["AVAX"]
    assert reference.close["AVAX"].first_valid_index() == pd.Timestamp("2020-09-22", tz="UTC")
    # Coinbase file captured 2025-10-25 17:14 UTC: that day's bar is incomplete and dropped.
    assert reference.end == pd.Timestamp("2025-10-24", tz="UTC")
    assert "2025-10-25" in prov["incomplete_bars_dropped"]["coinbase"]
    assert prov["assets"]["BTC"]["close"]["primary"] == "coinbase"


def test_market_cap_estimate_uses_no_future_snapshot(shared_data: Path, reference: MarketData) -> None:
    cmc = shared_data / "coinbase_cmc"
    snaps = read_cmc_snapshots(cmc / "coinmarketcap_monthly_all_snapshots.csv")
    daily = read_daily_market_caps(cmc / "daily_calculated_market_cap_clean.csv")
    close = reference.close
    full, _ = build_market_cap(close, daily, snaps)
    for cut in ("2021-06-15", "2023-02-01", "2024-11-30"):
        t = pd.Timestamp(cut, tz="UTC")
        past, _ = build_market_cap(close.loc[:t], daily.loc[:t], snaps[snaps["snapshot"] <= t])
        pd.testing.assert_frame_equal(past, full.loc[:t])


def test_bad_shared_file_names_file_and_row(shared_data: Path, tmp_path: Path) -> None:
    src = tmp_path / "shared"
    (src / "daily_ohlcv_usd").mkdir(parents=True)
    for name in ("BTC-USD_1d.csv", "ETH-USD_1d.csv"):
        shutil.copy(shared_data / "daily_ohlcv_usd" / name, src / "daily_ohlcv_usd" / name)
    path = src / "daily_ohlcv_usd" / "ETH-USD_1d.csv"
    lines = path.read_text().splitlines()
    cells = lines[10].split(",")
    cells[1] = "n/a?"
    lines[10] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"ETH-USD_1d.csv: column 'Close' line 11 holds 'n/a\?'"):
        import_reference(src, tmp_path / "cache")
    assert not (tmp_path / "cache" / "reference").exists()


def test_import_of_prices_only_directory(shared_data: Path, tmp_path: Path) -> None:
    src = tmp_path / "shared"
    shutil.copytree(shared_data / "daily_ohlcv_usd", src / "daily_ohlcv_usd")
    data = import_reference(src, tmp_path / "cache")
    assert data.market_cap is None and data.metrics == {} and data.sentiment.texts is None
    assert "BTC" in data.symbols and data.end == pd.Timestamp("2025-02-10", tz="UTC")
