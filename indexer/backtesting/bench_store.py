"""Benchmark results kept on disk between processes, so a cold ``indexer backtest`` reuses them too.

A benchmark's result depends on the data, the period, the costs, the cash, the
execution mode and the code that decides and simulates it: the key holds a
fingerprint of the data and the settings, and :mod:`indexer.disk_store` adds a
stamp of the code.  Files live under ``indexer.config.data_dir()/runs/benchmarks/``
(never committed; delete freely); set ``INDEXER_NO_RESULT_CACHE=1`` to neither
read nor write them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from indexer import disk_store
from indexer.backtesting.result import BacktestResult
from indexer.disk_store import DISABLE_ENV, code_stamp

__all__ = ["load", "save", "store_dir", "code_stamp", "DISABLE_ENV"]

_KIND = "benchmarks"
#: Results read from and written to disk by this process.
COUNTS = {"loaded": 0, "saved": 0}


def store_dir() -> Path:
    """``data_dir()/runs/benchmarks``."""
    return disk_store.store_dir(_KIND)


def load(key: tuple) -> tuple[BacktestResult, dict[Any, dict[str, Any]]] | None:
    """Return the stored ``(result, stats per reference benchmark)`` for ``key``, or ``None``."""
    entry = disk_store.load(_KIND, key)
    if entry is not None:
        COUNTS["loaded"] += 1
    return entry


def save(key: tuple, entry: tuple[BacktestResult, dict[Any, dict[str, Any]]]) -> None:
    """Store ``entry`` atomically (the vectorbt portfolio object is left out); errors are ignored."""
    res, stats = entry
    if disk_store.save(_KIND, key, (replace(res, portfolio=None), dict(stats))):
        COUNTS["saved"] += 1
