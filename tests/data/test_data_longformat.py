"""Long-format readers: every bad-input kind gives a DataError naming file, asset and row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import indexer
from indexer.exceptions import DataError

GOOD = """timestamp,asset,close,volume,market_cap
2024-01-01,BTC,42000,1e9,8.2e11
2024-01-01,ETH,2300,5e8,2.8e11
2024-01-02,BTC,43000,1.1e9,8.4e11
2024-01-02,ETH,2350,5.5e8,2.9e11
2024-01-03,BTC,44000,1.2e9,8.6e11
2024-01-03,ETH,2400,6e8,3.0e11
"""


def _write(tmp_path: Path, text: str, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _bad(tmp_path: Path, text: str, *needles: str) -> str:
    path = _write(tmp_path, text)
    with pytest.raises(DataError) as err:
        indexer.read_csv(path)
    msg = str(err.value)
    assert str(path) in msg
    for n in needles:
        assert n in msg, msg
    return msg


def test_good_csv_reads_into_market_data(tmp_path: Path) -> None:
    data = indexer.read_csv(_write(tmp_path, GOOD))
    assert data.symbols == ["BTC", "ETH"]
    assert data.close.index.tz is not None and str(data.close.index.tz) == "UTC"
    assert data.close.loc["2024-01-02", "ETH"] == 2350.0
    assert data.volume.loc["2024-01-03", "BTC"] == 1.2e9
    assert data.market_cap.loc["2024-01-01", "BTC"] == 8.2e11
    assert data.close.dtypes.eq("float64").all()


def test_iso_utc_timestamps_and_metric_columns(tmp_path: Path) -> None:
    text = "timestamp,asset,close,TxCnt\n2024-01-01T00:00:00Z,BTC,1,300000\n2024-01-02T00:00:00+00:00,BTC,2,310000\n"
    data = indexer.read_csv(_write(tmp_path, text))
    assert data.metrics["TxCnt"]["BTC"].tolist() == [300000.0, 310000.0]


def test_duplicate_timestamp(tmp_path: Path) -> None:
    text = GOOD + "2024-01-03,ETH,2401,6e8,3.0e11\n"
    _bad(tmp_path, text, "duplicate timestamp", "'ETH'", "line 8", "first at line 7")


def test_unsorted_timestamps(tmp_path: Path) -> None:
    lines = GOOD.splitlines()
    text = "\n".join([lines[0], lines[1], lines[5], lines[3]]) + "\n"
    _bad(tmp_path, text, "not increasing", "'BTC'", "line 4")


def test_naive_timestamps(tmp_path: Path) -> None:
    text = "timestamp,asset,close\n2024-01-01 00:00:00,BTC,1\n"
    _bad(tmp_path, text, "naive", "line 2")


def test_mixed_time_zones(tmp_path: Path) -> None:
    text = "timestamp,asset,close\n2024-01-01T00:00:00Z,BTC,1\n2024-01-02T00:00:00+02:00,BTC,2\n"
    _bad(tmp_path, text, "mixed time zones", "line 2", "line 3")


def test_non_utc_zone(tmp_path: Path) -> None:
    text = "timestamp,asset,close\n2024-01-01T00:00:00+02:00,BTC,1\n"
    _bad(tmp_path, text, "+02:00", "expected UTC")


def test_non_positive_price(tmp_path: Path) -> None:
    _bad(tmp_path, GOOD.replace("2024-01-02,ETH,2350", "2024-01-02,ETH,0"), "close", "'ETH'", "line 5", "> 0")


def test_negative_price(tmp_path: Path) -> None:
    _bad(tmp_path, GOOD.replace("2024-01-03,BTC,44000", "2024-01-03,BTC,-5"), "'BTC'", "line 6")


def test_non_numeric_price(tmp_path: Path) -> None:
    _bad(tmp_path, GOOD.replace("2024-01-02,BTC,43000", "2024-01-02,BTC,abc"), "'abc'", "'BTC'", "line 4", "expected a number")


def test_all_nan_asset(tmp_path: Path) -> None:
    text = GOOD + "2024-01-01,SOL,,1,\n2024-01-02,SOL,,1,\n"
    _bad(tmp_path, text, "'SOL'", "all NaN", "line 8")


def test_gap_longer_than_limit(tmp_path: Path) -> None:
    rows = ["timestamp,asset,close"] + [f"{d.date()},BTC,{i + 1}" for i, d in enumerate(pd.date_range("2024-01-01", periods=5))]
    rows += ["2024-01-02,ETH,1"]
    rows += [f"{d.date()},ETH,{i + 1}" for i, d in enumerate(pd.date_range("2024-01-10", periods=3))]
    msg = _bad(tmp_path, "\n".join(rows) + "\n", "'ETH'", "gap of 7 missing bars", "line 7", "at most 3")
    assert "2024-01-02" in msg


def test_gap_limit_is_a_parameter(tmp_path: Path) -> None:
    rows = ["timestamp,asset,close", "2024-01-01,BTC,1", "2024-01-06,BTC,2", "2024-01-02,ETH,1", "2024-01-03,ETH,1"]
    data = indexer.read_csv(_write(tmp_path, "\n".join(rows) + "\n"), max_gap=10)
    assert data.close["BTC"].isna().sum() == 4


def test_unknown_column(tmp_path: Path) -> None:
    _bad(tmp_path, GOOD.replace("market_cap", "mcap"), "unknown column", "'mcap'")


def test_missing_required_column(tmp_path: Path) -> None:
    _bad(tmp_path, GOOD.replace("close", "price"), "missing required column", "'close'")


def test_missing_asset(tmp_path: Path) -> None:
    _bad(tmp_path, GOOD.replace("2024-01-02,ETH", "2024-01-02,"), "missing asset", "line 5")


def test_parquet_naive_and_rows(tmp_path: Path) -> None:
    frame = pd.read_csv(_write(tmp_path, GOOD))
    naive = frame.assign(timestamp=pd.to_datetime(frame["timestamp"]))
    naive.to_parquet(tmp_path / "naive.parquet")
    with pytest.raises(DataError, match=r"naive.parquet.*naive"):
        indexer.read_parquet(tmp_path / "naive.parquet")
    aware = frame.assign(timestamp=pd.to_datetime(frame["timestamp"], utc=True))
    pd.concat([aware, aware.iloc[[2]]]).to_parquet(tmp_path / "dup.parquet")
    with pytest.raises(DataError, match=r"dup.parquet: row 6: duplicate timestamp .* 'BTC' \(first at row 2\)"):
        indexer.read_parquet(tmp_path / "dup.parquet")
    aware.to_parquet(tmp_path / "ok.parquet")
    data = indexer.read_parquet(tmp_path / "ok.parquet")
    pd.testing.assert_frame_equal(data.close, indexer.read_csv(tmp_path / "prices.csv").close)


def test_parquet_non_utc_zone(tmp_path: Path) -> None:
    frame = pd.read_csv(_write(tmp_path, GOOD))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"]).dt.tz_localize("Europe/Berlin")
    frame.to_parquet(tmp_path / "berlin.parquet")
    with pytest.raises(DataError, match="Europe/Berlin.*expected UTC"):
        indexer.read_parquet(tmp_path / "berlin.parquet")


def test_yahoo_style_csv(shared_data: Path) -> None:
    path = shared_data / "daily_ohlcv_usd" / "ETH-USD_1d.csv"
    data = indexer.read_csv(path)
    raw = pd.read_csv(path)
    assert data.symbols == ["ETH"]
    assert len(data.close) == len(raw)
    assert np.allclose(data.close["ETH"].to_numpy(), raw["Close"].to_numpy())
    assert data.volume["ETH"].iloc[-2] == raw["Volume"].iloc[-2]


def test_long_round_trip_of_reference(reference, tmp_path: Path) -> None:
    sub = reference.select(["BTC", "ETH", "SOL"]).between("2023-01-01", "2023-12-31")
    long = sub.close.stack().rename("close").reset_index()
    long["volume"] = sub.volume.stack().to_numpy()
    long = long.sort_values(["asset", "timestamp"])
    long.to_parquet(tmp_path / "ref.parquet", index=False)
    back = indexer.read_parquet(tmp_path / "ref.parquet")
    pd.testing.assert_frame_equal(back.close[sub.symbols], sub.close, check_freq=False)
