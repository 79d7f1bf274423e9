"""The local parquet cache of a :class:`MarketData` bundle.

Layout of one cache directory (e.g. ``$INDEXER_DATA_DIR/reference/``)::

    panels.parquet         every panel in one file: columns "<field>/<asset>" for close, volume,
                           market_cap and each metric (all-NaN metric columns omitted)
    sentiment_index.parquet  texts.parquet (assets joined by ",")
    membership_<name>.parquet  point-in-time membership snapshots (one per source)
    provenance.json        sources, rules, dropped assets, field and asset lists; written last

A bundle is written to a temporary sibling directory and renamed into place,
so a failed write never leaves a half-written cache; :func:`cache_lock`
serialises writers across processes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from filelock import FileLock

from indexer.data.market import MarketData, Sentiment
from indexer.data.registry import AssetRegistry, default_registry
from indexer.exceptions import DataError, IndexerWarning

__all__ = [
    "CACHE_FORMAT", "save_market_data", "load_market_data", "is_complete", "cache_lock", "cache_problem",
    "clean_temp_dirs", "CacheRebuildWarning",
]

#: Bumped when the layout changes; older caches are rebuilt from their source.
CACHE_FORMAT = 4
_PANELS = ("close", "volume", "market_cap")


class CacheRebuildWarning(IndexerWarning):
    """A damaged cache was found and is rebuilt from its source."""


def cache_problem(directory: Path) -> str | None:
    """Why ``directory`` is not a usable cache (``None``: it is complete; ``"missing"``: there is none)."""
    directory = Path(directory)
    if not directory.exists():
        return "missing"
    if not directory.is_dir():
        return "not a folder"
    prov = directory / "provenance.json"
    if not prov.is_file():
        return "provenance.json missing (an interrupted write?)"
    if not (directory / "panels.parquet").is_file():
        return "panels.parquet missing"
    try:
        fmt = json.loads(prov.read_text()).get("cache_format")
    except (OSError, ValueError) as exc:
        return f"provenance.json unreadable ({str(exc).splitlines()[0]})"
    if fmt != CACHE_FORMAT:
        return f"cache format {fmt} is not the current {CACHE_FORMAT}"
    try:
        import pyarrow.parquet as pq

        pq.read_metadata(directory / "panels.parquet")
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        return f"panels.parquet unreadable ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    return None


def clean_temp_dirs(directory: Path) -> list[Path]:
    """Remove temporary ``.<name>-*`` folders left beside ``directory`` by killed writes (call under the lock)."""
    directory = Path(directory)
    removed = []
    if directory.parent.is_dir():
        for p in directory.parent.glob(f".{directory.name}-*"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
    return removed


def is_complete(directory: Path) -> bool:
    """Return True when ``directory`` holds a finished cache of the current format."""
    prov = directory / "provenance.json"
    if not (prov.is_file() and (directory / "panels.parquet").is_file()):
        return False
    try:
        return json.loads(prov.read_text()).get("cache_format") == CACHE_FORMAT
    except (OSError, ValueError):
        return False


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
    """Return an inter-process lock guarding writes of one cache directory."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(directory.parent / f".{directory.name}.lock"), timeout=300)


def _save(data: MarketData, directory: Path) -> Path:
    clean_temp_dirs(directory)  # leftovers of killed writes (every writer holds the cache lock)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        cols: dict[str, pd.Series] = {}
        fields = [n for n in _PANELS if getattr(data, n) is not None]
        for name in fields:
            panel = getattr(data, name)
            cols.update({f"{name}/{a}": panel[a] for a in panel.columns})
        for metric, panel in data.metrics.items():
            cols.update({f"{metric}/{a}": panel[a] for a in panel.columns[panel.notna().any()]})
        panels = pd.DataFrame(cols, index=data.close.index)
        panels.index.name = "timestamp"
        panels.to_parquet(tmp / "panels.parquet", engine="pyarrow", compression=None)  # fastest to read
        sent = data.sentiment
        if sent.index is not None:
            sent.index.rename("value").to_frame().to_parquet(tmp / "sentiment_index.parquet")
        if sent.texts is not None:
            tx = sent.texts.copy()
            tx["assets"] = [",".join(a) for a in tx["assets"]]
            tx.to_parquet(tmp / "texts.parquet", index=False, compression="zstd")
        for mname, table in data.membership.items():
            table.to_parquet(tmp / f"membership_{mname}.parquet", index=False)
        prov = {
            **dict(data.provenance),
            "cache_format": CACHE_FORMAT,
            "fields": fields,
            "metric_names": list(data.metrics),
            "symbols": list(data.close.columns),
            "membership_names": list(data.membership),
        }
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


def load_market_data(
    directory: str | Path, *, registry: AssetRegistry | None = None, start: Any = None
) -> MarketData:
    """Read a cache written by :func:`save_market_data` (rows from ``start`` on, if given)."""
    directory = Path(directory)
    if not is_complete(directory):
        raise DataError(f"{directory}: no complete indexer cache (missing provenance.json or panels.parquet)")
    try:
        prov: dict[str, Any] = json.loads((directory / "provenance.json").read_text())
        raw = pd.read_parquet(directory / "panels.parquet", engine="pyarrow")
        if start is not None:
            raw = raw.loc[start:]
        symbols = pd.Index(prov["symbols"], name="asset")
        index = pd.DatetimeIndex(raw.index, name="timestamp")
        values = raw.to_numpy(dtype="float64")
        pos = {a: j for j, a in enumerate(symbols)}
        groups: dict[str, list[tuple[int, int]]] = {}
        for i, c in enumerate(raw.columns):
            name, asset = c.split("/", 1)
            groups.setdefault(name, []).append((i, pos[asset]))

        def panel(name: str) -> pd.DataFrame:
            arr = np.full((len(index), len(symbols)), np.nan)
            for i, j in groups.get(name, []):
                arr[:, j] = values[:, i]
            return pd.DataFrame(arr, index=index, columns=symbols, copy=False)

        panels = {n: (panel(n) if n in prov["fields"] else None) for n in _PANELS}
        close = panels["close"]
        metrics = {name: panel(name) for name in prov.get("metric_names", [])}
        fg = texts = None
        if (directory / "sentiment_index.parquet").exists():
            fg = pd.read_parquet(directory / "sentiment_index.parquet")["value"].rename("fear_greed")
            fg.index.name = "timestamp"
            if start is not None:
                fg = fg.loc[start:]
        if (directory / "texts.parquet").exists():
            texts = pd.read_parquet(directory / "texts.parquet")
            texts["assets"] = [tuple(a.split(",")) if a else () for a in texts["assets"].to_numpy(dtype=object)]
            if start is not None:
                texts = texts[texts["timestamp"] >= start].reset_index(drop=True)
        membership = {m: pd.read_parquet(directory / f"membership_{m}.parquet") for m in prov.get("membership_names", [])}
    except Exception as exc:  # noqa: BLE001 - pyarrow / pandas raise many types for a damaged file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(
            f"cache {directory} is damaged ({type(exc).__name__}: {first}); rebuild it with `indexer data import` "
            "or refresh=True"
        ) from None
    return MarketData(
        close=close,
        volume=panels["volume"],
        market_cap=panels["market_cap"],
        metrics=metrics,
        sentiment=Sentiment(index=fg, texts=texts),
        assets=registry or default_registry(),
        provenance=prov,
        membership=membership,
    )
