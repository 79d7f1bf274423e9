"""The local parquet cache of a :class:`MarketData` bundle.

Layout of one cache directory (e.g. ``$INDEXER_DATA_DIR/reference/``)::

    close.parquet  volume.parquet  market_cap.parquet   wide panels (UTC day x asset)
    metrics.parquet        metric panels, columns "<metric>/<asset>" (all-NaN columns omitted)
    sentiment_index.parquet  texts.parquet (assets joined by ",")
    provenance.json        sources, rules, dropped assets; written last

A bundle is written to a temporary sibling directory and renamed into place,
so a failed write never leaves a half-written cache.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock

from indexer.data.market import MarketData, Sentiment
from indexer.data.registry import AssetRegistry, default_registry
from indexer.exceptions import DataError

__all__ = ["CACHE_FORMAT", "save_market_data", "load_market_data", "is_complete", "cache_lock"]

#: Bumped when the layout changes; older caches are rebuilt from their source.
CACHE_FORMAT = 1
_PANELS = ("close", "volume", "market_cap")


def is_complete(directory: Path) -> bool:
    """True when ``directory`` holds a finished cache of the current format."""
    prov = directory / "provenance.json"
    if not (prov.is_file() and (directory / "close.parquet").is_file()):
        return False
    try:
        return json.loads(prov.read_text()).get("cache_format") == CACHE_FORMAT
    except (OSError, ValueError):
        return False


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    frame.to_parquet(path, engine="pyarrow", compression="zstd")


def save_market_data(data: MarketData, directory: str | Path, *, lock: bool = True) -> Path:
    """Write ``data`` to ``directory`` atomically (replacing an older cache).

    ``lock=False`` when the caller already holds :func:`cache_lock` for ``directory``.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    if not lock:
        return _save(data, directory)
    with cache_lock(directory):
        return _save(data, directory)


def cache_lock(directory: Path) -> FileLock:
    """An inter-process lock guarding writes of one cache directory."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(directory.parent / f".{directory.name}.lock"), timeout=300)


def _save(data: MarketData, directory: Path) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        for name in _PANELS:
            panel = getattr(data, name)
            if panel is not None:
                _write_frame(panel, tmp / f"{name}.parquet")
        cols = {}
        for metric, panel in data.metrics.items():
            for asset in panel.columns[panel.notna().any()]:
                cols[f"{metric}/{asset}"] = panel[asset]
        metrics = pd.DataFrame(cols, index=data.close.index)
        _write_frame(metrics, tmp / "metrics.parquet")
        sent = data.sentiment
        if sent.index is not None:
            sent.index.rename("value").to_frame().to_parquet(tmp / "sentiment_index.parquet")
        if sent.texts is not None:
            tx = sent.texts.copy()
            tx["assets"] = [",".join(a) for a in tx["assets"]]
            tx.to_parquet(tmp / "texts.parquet", index=False, compression="zstd")
        prov = {**dict(data.provenance), "cache_format": CACHE_FORMAT, "metric_names": list(data.metrics)}
        (tmp / "provenance.json").write_text(json.dumps(prov, indent=1, default=str))
        old = directory.with_name(f".{directory.name}-old")
        if directory.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(directory, old)
        os.replace(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def _read(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path, engine="pyarrow")
    frame.index.name = "timestamp"
    frame.columns.name = "asset"
    return frame


def load_market_data(
    directory: str | Path, *, registry: AssetRegistry | None = None, start: Any = None
) -> MarketData:
    """Read a cache written by :func:`save_market_data` (rows from ``start`` on, if given)."""
    directory = Path(directory)
    if not is_complete(directory):
        raise DataError(f"{directory}: no complete indexer cache (missing provenance.json or close.parquet)")
    try:
        prov: dict[str, Any] = json.loads((directory / "provenance.json").read_text())
        panels = {n: _read(directory / f"{n}.parquet") if (directory / f"{n}.parquet").exists() else None for n in _PANELS}
        close = panels["close"]
        if start is not None:
            panels = {k: (None if v is None else v.loc[start:]) for k, v in panels.items()}
            close = panels["close"]
        raw = pd.read_parquet(directory / "metrics.parquet") if (directory / "metrics.parquet").exists() else None
        metrics = {}
        for name in prov.get("metric_names", []):
            cols = {} if raw is None else {c.split("/", 1)[1]: raw[c] for c in raw.columns if c.split("/", 1)[0] == name}
            panel = pd.DataFrame(cols, index=raw.index if raw is not None else close.index)
            panel = panel.reindex(index=close.index, columns=close.columns).astype("float64")
            panel.index.name, panel.columns.name = "timestamp", "asset"
            metrics[name] = panel
        index = texts = None
        if (directory / "sentiment_index.parquet").exists():
            index = pd.read_parquet(directory / "sentiment_index.parquet")["value"].rename("fear_greed")
            index.index.name = "timestamp"
            if start is not None:
                index = index.loc[start:]
        if (directory / "texts.parquet").exists():
            texts = pd.read_parquet(directory / "texts.parquet")
            texts["assets"] = [tuple(a.split(",")) if a else () for a in texts["assets"]]
            if start is not None:
                texts = texts[texts["timestamp"] >= start].reset_index(drop=True)
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{directory}: cache unreadable ({exc}); rebuild it with `indexer data import` or refresh=True") from exc
    return MarketData(
        close=close,
        volume=panels["volume"],
        market_cap=panels["market_cap"],
        metrics=metrics,
        sentiment=Sentiment(index=index, texts=texts),
        assets=registry or default_registry(),
        provenance=prov,
    )
