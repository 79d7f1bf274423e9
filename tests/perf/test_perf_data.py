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
    pd.concat(data.metrics, axis=1).to_csv(csv / "metrics.csv")
    data.sentiment.index.to_csv(csv / "fear_greed.csv")
    data.sentiment.texts.assign(assets=data.sentiment.texts["assets"].map(",".join)).to_csv(csv / "texts.csv", index=False)
    return root


def test_load_reference_from_parquet_cache(benchmark, warm_cache: Path) -> None:
    data = benchmark(load_reference, data_dir=warm_cache)
    assert len(data.symbols) >= 20


def test_peer_pandas_read_csv_same_content(benchmark, warm_cache: Path) -> None:
    """The same panels, metrics, index and texts as plain CSV files read with pandas."""

    def read() -> list[pd.DataFrame]:
        d = warm_cache / "csv"
        frames = [pd.read_csv(d / f"{n}.csv", index_col="timestamp", parse_dates=["timestamp"]) for n in ("close", "volume", "market_cap")]
        frames.append(pd.read_csv(d / "metrics.csv", header=[0, 1], index_col=0, parse_dates=True))
        frames.append(pd.read_csv(d / "fear_greed.csv", index_col=0, parse_dates=True))
        texts = pd.read_csv(d / "texts.csv", parse_dates=["timestamp"], keep_default_na=False)
        texts["assets"] = [tuple(a.split(",")) if a else () for a in texts["assets"]]
        frames.append(texts)
        return frames

    frames = benchmark(read)
    assert frames[0].shape[1] >= 20 and len(frames[-1]) > 8000


def test_peer_rebuild_from_raw_shared_csv(benchmark, shared_data: Path, tmp_path: Path) -> None:
    data = benchmark.pedantic(import_reference, args=(shared_data, tmp_path), rounds=2, iterations=1)
    assert len(data.symbols) >= 20
