"""Benchmark results kept on disk between processes, so a cold ``indexer backtest`` reuses them too.

A benchmark's result depends on the data, the period, the costs, the cash, the
execution mode and the code that decides and simulates it.  The file name is a
hash of the in-memory key (which holds a fingerprint of the data) and of the
size and modification time of every module of ``indexer``, so editing the code
invalidates every stored result.  Files live under
``indexer.config.data_dir()/runs/benchmarks/`` (never committed; delete freely);
set ``INDEXER_NO_RESULT_CACHE=1`` to neither read nor write them.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from indexer.backtesting.result import BacktestResult
from indexer.config import data_dir

__all__ = ["load", "save", "store_dir", "code_stamp"]

#: Set to a non-empty value to disable the on-disk benchmark store.
DISABLE_ENV = "INDEXER_NO_RESULT_CACHE"
#: Results read from and written to disk by this process.
COUNTS = {"loaded": 0, "saved": 0}


def store_dir() -> Path:
    """``data_dir()/runs/benchmarks``."""
    return data_dir() / "runs" / "benchmarks"


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """Hash of (path, size, mtime) of every ``indexer`` module: changes whenever the code does."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha1()
    for p in sorted(root.rglob("*.py")):
        st = p.stat()
        h.update(f"{p.relative_to(root)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def _path(key: tuple) -> Path:
    h = hashlib.sha1(repr((key, code_stamp())).encode()).hexdigest()[:24]
    return store_dir() / f"{h}.pkl"


def load(key: tuple) -> tuple[BacktestResult, dict[Any, dict[str, Any]]] | None:
    """Return the stored ``(result, stats per reference benchmark)`` for ``key``, or ``None``."""
    if os.environ.get(DISABLE_ENV):
        return None
    p = _path(key)
    try:
        with p.open("rb") as f:
            stored_key, entry = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        return None
    if stored_key != repr(key):
        return None
    COUNTS["loaded"] += 1
    return entry


def save(key: tuple, entry: tuple[BacktestResult, dict[Any, dict[str, Any]]]) -> None:
    """Store ``entry`` atomically (the vectorbt portfolio object is left out); errors are ignored."""
    if os.environ.get(DISABLE_ENV):
        return
    res, stats = entry
    p = _path(key)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump((repr(key), (replace(res, portfolio=None), dict(stats))), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, p)
        COUNTS["saved"] += 1
    except OSError:
        return
