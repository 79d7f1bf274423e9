"""Data-layer speed: the warm parquet cache against the ways one would otherwise load the same data.

Peers in the same run: pandas reading the same panels from CSV, and rebuilding from the raw shared
CSV files (what every run would cost without the cache).  Run with ``--benchmark-enable``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from indexer.data import import_reference, load_reference

pytestmark = pytest.mark.perf


@pytest.fixture(scope="module")
def warm_cache(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("perf-data")
    data = import_reference(shared_data, root)
    csv = root / "csv"
    csv.mkdir()
    for name in ("close", "volume", "market_cap"):
        getattr(data, name).to_csv(csv / f"{name}.csv")
    return root


def test_load_reference_from_parquet_cache(benchmark, warm_cache: Path) -> None:
    data = benchmark(load_reference, data_dir=warm_cache)
    assert len(data.symbols) >= 20


def test_peer_pandas_read_csv_panels(benchmark, warm_cache: Path) -> None:
    def read() -> list[pd.DataFrame]:
        return [
            pd.read_csv(warm_cache / "csv" / f"{n}.csv", index_col="timestamp", parse_dates=["timestamp"])
            for n in ("close", "volume", "market_cap")
        ]

    frames = benchmark(read)
    assert frames[0].shape[1] >= 20


def test_peer_rebuild_from_raw_shared_csv(benchmark, shared_data: Path, tmp_path: Path) -> None:
    data = benchmark.pedantic(import_reference, args=(shared_data, tmp_path), rounds=2, iterations=1)
    assert len(data.symbols) >= 20
