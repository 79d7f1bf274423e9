"""Price readers (``indexer.read_csv`` / ``read_parquet``) and ``indexer data import``: every bad file refused,
naming the file and the file's own line (CSV) or row (parquet); nothing repaired in silence."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from badkit import assert_refused, snapshot

from indexer.data import read_csv, read_parquet
from indexer.exceptions import DataError

HEADER = "timestamp,asset,close,volume\n"


def _rows(n: int = 6, asset: str = "BTC", start: str = "2024-01-01") -> str:
    days = pd.date_range(start, periods=n, freq="D")
    return "".join(f"{d:%Y-%m-%d},{asset},{100 + i},{1000 + i}\n" for i, d in enumerate(days))


GOOD = HEADER + _rows() + _rows(asset="ETH")

#: case -> (CSV bytes, needles of the DataError)
CSV_CASES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "utf16": (GOOD.encode("utf-16"), ("encoded as UTF-16",)),
    "binary": (b"\x00\x01\x02garbage\x00", ("binary content",)),
    "cp1252": (("timestamp,asset,close\n2024-01-01,BTC\u00e9,1\n").encode("cp1252"), ("not UTF-8 text", "line 2")),
    "empty": (b"", ("empty price CSV",)),
    "blank_lines": (b"\n\n\n", ("empty price CSV",)),
    "header_only": (HEADER.encode(), ("no rows",)),
    "missing_column": (b"timestamp,asset\n2024-01-01,BTC\n", ("missing required column(s) ['close']",)),
    "unknown_column": ((HEADER.strip() + ",colour\n2024-01-01,BTC,1,1,red\n").encode(), ("unknown column(s) ['colour']",)),
    "text_close": ((HEADER + "2024-01-01,BTC,abc,1\n").encode(), ("line 2", "close for asset 'BTC' holds 'abc'")),
    "bool_close": ((HEADER + "2024-01-01,BTC,True,1\n").encode(), ("line 2", "holds 'True'")),
    "inf_close": ((HEADER + _rows(3) + "2024-01-04,BTC,inf,1\n").encode(), ("line 5", "'inf'", "finite")),
    "negative_close": ((HEADER + _rows(3) + "2024-01-04,BTC,-1,1\n").encode(), ("line 5", "expected > 0")),
    "negative_volume": ((HEADER + "2024-01-01,BTC,1,-3\n").encode(), ("line 2", "volume", ">= 0")),
    "bad_date": ((HEADER + _rows(2) + "2024-02-30,BTC,1,1\n").encode(), ("line 4", "2024-02-30")),
    "naive_time": ((HEADER + "2024-01-01T00:00:00,BTC,1,1\n").encode(), ("line 2", "naive")),
    "other_zone": ((HEADER + "2024-01-01T00:00:00+02:00,BTC,1,1\n").encode(), ("time zone +02:00",)),
    "missing_timestamp": ((HEADER + ",BTC,1,1\n").encode(), ("line 2", "missing timestamp")),
    "missing_asset": ((HEADER + "2024-01-01,,1,1\n").encode(), ("line 2", "missing asset")),
    "duplicate_bar": ((HEADER + _rows(3) + "2024-01-02,BTC,5,5\n").encode(), ("line 5", "duplicate timestamp", "first at line 3")),
    "unsorted": ((HEADER + "2024-01-02,BTC,1,1\n2024-01-01,BTC,1,1\n").encode(), ("line 3", "not increasing", "sort the file")),
    "intraday_row": ((HEADER + _rows(3) + "2024-01-03T12:00:00Z,BTC,1,1\n" + _rows(3, start="2024-01-04")).encode(),
                     ("line 5", "2024-01-03 12:00:00+00:00 is off the 1 days", "step=")),
    "gap": ((HEADER + _rows(3) + _rows(3, start="2024-02-01")).encode(), ("gap of 28 missing bars after line 4", "next bar 2024-02-01")),
    "ragged_long": ((HEADER + "2024-01-01,BTC,1,1,9,9\n").encode(), ("malformed CSV", "line 2 has 6 fields, the header 4")),
    "ragged_later": ((HEADER + _rows(2) + "2024-01-03,BTC,1,1,9\n").encode(), ("malformed CSV", "line 4 has 5 fields")),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_read_csv_refuses(tmp_path: Path, case: str) -> None:
    data, needles = CSV_CASES[case]
    f = tmp_path / f"{case}.csv"
    f.write_bytes(data)
    with pytest.raises(DataError) as info:
        read_csv(f)
    msg = str(info.value)
    assert str(f) in msg and "\n" not in msg
    for n in needles:
        assert n in msg, f"{n!r} not in {msg}"


def test_read_csv_good_file_and_explicit_step(tmp_path: Path) -> None:
    f = tmp_path / "good.csv"
    f.write_text(GOOD)
    d = read_csv(f)
    assert list(d.close.columns) == ["BTC", "ETH"] and len(d.close) == 6
    assert d.provenance["step"].startswith("1 days") and "inferred" in d.provenance["step"]
    f2 = tmp_path / "hourly_gap.csv"
    f2.write_text(HEADER + "2024-01-01T00:00:00Z,BTC,1,1\n2024-01-01T01:00:00Z,BTC,2,1\n2024-01-01T03:00:00Z,BTC,3,1\n")
    d2 = read_csv(f2, step="1h")
    assert len(d2.close) == 4 and d2.close["BTC"].isna().sum() == 1 and "given" in d2.provenance["step"]


@pytest.mark.parametrize("kind", ["directory", "missing"])
def test_read_csv_refuses_non_files(tmp_path: Path, kind: str) -> None:
    p = tmp_path / "prices.csv"
    if kind == "directory":
        p.mkdir()
    with pytest.raises(DataError, match="is a directory" if kind == "directory" else "no such file"):
        read_csv(p)


def _frame(n: int = 5) -> pd.DataFrame:
    ts = pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC")
    return pd.DataFrame({"timestamp": ts, "asset": "BTC", "close": np.arange(1.0, n + 1)})


PARQUET_CASES = {
    "bool_close": (lambda f: f.assign(close=[True, False, True, True, True]), ("row 0", "holds a boolean")),
    "negative_close": (lambda f: f.assign(close=[1.0, 2.0, -3.0, 4.0, 5.0]), ("row 2", "expected > 0")),
    "inf_close": (lambda f: f.assign(close=[1.0, np.inf, 3.0, 4.0, 5.0]), ("row 1", "finite")),
    "naive_timestamps": (lambda f: f.assign(timestamp=f["timestamp"].dt.tz_localize(None)), ("naive",)),
    "unsorted": (lambda f: f.iloc[[0, 2, 1, 3, 4]].reset_index(drop=True), ("row 2", "not increasing")),
    "intraday_row": (lambda f: pd.concat([f.iloc[:2], f.iloc[[1]].assign(timestamp=f["timestamp"][1] + pd.Timedelta(hours=6)),
                                          f.iloc[2:]], ignore_index=True), ("row 2", "off the 1 days")),
}


@pytest.mark.parametrize("case", sorted(PARQUET_CASES))
def test_read_parquet_refuses(tmp_path: Path, case: str) -> None:
    make, needles = PARQUET_CASES[case]
    f = tmp_path / f"{case}.parquet"
    make(_frame()).to_parquet(f)
    with pytest.raises(DataError) as info:
        read_parquet(f)
    msg = str(info.value)
    assert str(f) in msg
    for n in needles:
        assert n in msg, f"{n!r} not in {msg}"


@pytest.mark.parametrize("content", [b"", b"not a parquet file at all", b"PAR1\x00\x00PAR1"])
def test_read_parquet_refuses_damaged_files(tmp_path: Path, content: bytes) -> None:
    f = tmp_path / "x.parquet"
    f.write_bytes(content)
    with pytest.raises(DataError, match=r"price parquet .*x\.parquet: (empty|not a readable parquet)"):
        read_parquet(f)


# --------------------------------------------------------------------------- indexer data import
YAHOO_HEADER = "Date,Close,High,Low,Open,Volume\n"


def _shared_copy(shared: Path, dest: Path) -> Path:
    """``dest`` in the layout of ../shared/data: links to every entry, daily_ohlcv_usd as a folder of links."""
    dest.mkdir()
    for p in shared.iterdir():
        if p.name != "daily_ohlcv_usd":
            (dest / p.name).symlink_to(p)
    yd = dest / "daily_ohlcv_usd"
    yd.mkdir()
    for p in (shared / "daily_ohlcv_usd").iterdir():
        (yd / p.name).symlink_to(p)
    return yd


def _yahoo(rows: list[str]) -> bytes:
    return (YAHOO_HEADER + "".join(rows)).encode()


IMPORT_CASES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "utf16": (_yahoo(["2024-01-01,1,1,1,1,1\n"]).decode().encode("utf-16"), ("encoded as UTF-16",)),
    "empty": (b"", ("empty Yahoo-style CSV",)),
    "header_broken": (b"\n\n", ("empty Yahoo-style CSV",)),
    "unsorted": (_yahoo(["2024-01-02,1,1,1,1,1\n", "2024-01-01,1,1,1,1,1\n"]), ("line 3", "comes after", "increasing date order")),
    "bad_date": (_yahoo(["2024-01-01,1,1,1,1,1\n", "Jan 2 2024,1,1,1,1,1\n"]), ("line 3", "'Jan 2 2024'", "YYYY-MM-DD")),
    "negative_close": (_yahoo(["2024-01-01,1,1,1,1,1\n", "2024-01-02,-4,1,1,1,1\n"]), ("line 3", "'Close'", "> 0")),
    "text_volume": (_yahoo(["2024-01-01,1,1,1,1,lots\n"]), ("line 2", "'Volume'", "'lots'")),
}


@pytest.mark.parametrize("case", sorted(IMPORT_CASES))
def test_data_import_refuses_bad_file_and_writes_nothing(cli, shared_data: Path, tmp_path: Path, case: str) -> None:
    data, needles = IMPORT_CASES[case]
    yd = _shared_copy(shared_data, tmp_path / "src")
    bad = yd / "ZZZ-USD_1d.csv"
    bad.write_bytes(data)
    cache = tmp_path / "cache"
    r = cli(["data", "import", tmp_path / "src", "--data-dir", cache])
    assert_refused(r, "ZZZ-USD_1d.csv", *needles)
    assert not (cache / "reference").exists()


def test_data_import_src_is_a_file(cli, tmp_path: Path) -> None:
    f = tmp_path / "data.csv"
    f.write_text("x")
    r = cli(["data", "import", f, "--data-dir", tmp_path / "cache"])
    assert_refused(r, "data.csv", "is a file")
    assert not (tmp_path / "cache").exists()


def test_import_cleans_killed_import_leftovers_and_says_what_it_repaired(cli, shared_data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / ".reference-k1ll3d").mkdir(parents=True)
    (cache / ".reference-k1ll3d" / "panels.parquet").write_bytes(b"half")
    (cache / ".reference-old").mkdir()
    r = cli(["data", "import", shared_data, "--data-dir", cache])
    assert r.code == 0, r.stderr
    assert sorted(p.name for p in cache.iterdir() if p.is_dir()) == ["reference"]
    # The gap rule drops bars before a long gap: said on screen (asset, bars, dates), not only in provenance.
    assert "repaired AVAX: dropped 2 bars 2020-07-13..2020-07-14 before a gap" in " ".join(r.stdout.split())


def test_damaged_cache_is_named_and_rebuilt(cli, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    assert cli(["data", "import", shared_data, "--data-dir", cache]).code == 0
    panels = cache / "reference" / "panels.parquet"
    panels.write_bytes(b"garbage")
    monkeypatch.setenv("INDEXER_SHARED_DATA", str(shared_data))
    r = cli(["data", "info", "--data-dir", cache])
    assert r.code == 0, r.stderr
    assert f"cache {cache / 'reference'} is damaged" in r.stderr and f"rebuilding it from {shared_data}" in r.stderr
    assert panels.stat().st_size > 1000
    # Without a source to rebuild from, the damage is named and the command refused.
    panels.write_bytes(b"garbage")
    monkeypatch.setenv("INDEXER_SHARED_DATA", str(tmp_path / "nowhere"))
    assert_refused(cli(["data", "info", "--data-dir", cache]), "is damaged", "panels.parquet")
    assert panels.read_bytes() == b"garbage"
    shutil.rmtree(cache)
    assert snapshot(cache) == set()


def _replace_in_copy(shared: Path, dest: Path, rel: str, data: bytes) -> Path:
    """A link copy of ``shared`` in ``dest`` whose file ``rel`` holds ``data`` (its folder becomes real)."""
    _shared_copy(shared, dest)
    parts = Path(rel).parts
    cur_src, cur_dst = shared, dest
    for part in parts[:-1]:
        cur_src, cur_dst = cur_src / part, cur_dst / part
        if cur_dst.is_symlink():
            cur_dst.unlink()
            cur_dst.mkdir()
            for p in cur_src.iterdir():
                (cur_dst / p.name).symlink_to(p)
    target = dest / rel
    if target.is_symlink() or target.exists():
        target.unlink()
    target.write_bytes(data)
    return target


SOURCE_CASES = {
    "fear_greed_utf16": ("crypto_fear_greed_index.csv", "date,value\n2024-01-01,50\n".encode("utf-16"),
                         ("Fear & Greed CSV", "UTF-16")),
    "fear_greed_empty": ("crypto_fear_greed_index.csv", b"", ("empty Fear & Greed CSV",)),
    "coinbase_binary": ("coinbase_cmc/coinbase_top200_daily_20200101_to_present_20251025_171425.csv", b"\x00\x01",
                        ("Coinbase daily OHLCV", "binary content")),
    "coinbase_ragged": ("coinbase_cmc/coinbase_top200_daily_20200101_to_present_20251025_171425.csv",
                        b"date,symbol,base,open,high,low,close,volume\n2024-01-01,BTC/USD,BTC,1,1,1,1,1,7\n",
                        ("malformed CSV", "line 2 has 9 fields")),
}


@pytest.mark.parametrize("case", sorted(SOURCE_CASES))
def test_data_import_refuses_bad_source_file(cli, shared_data: Path, tmp_path: Path, case: str) -> None:
    rel, data, needles = SOURCE_CASES[case]
    if not (shared_data / rel).exists():
        pytest.skip(f"{rel} not in this copy of the shared data")
    _replace_in_copy(shared_data, tmp_path / "src", rel, data)
    cache = tmp_path / "cache"
    r = cli(["data", "import", tmp_path / "src", "--data-dir", cache])
    assert_refused(r, Path(rel).name, *needles)
    assert not (cache / "reference").exists()
