"""Results kept on disk between processes, so a cold ``indexer backtest`` reuses what an earlier one computed.

Two kinds use it: benchmark results (:mod:`indexer.backtesting.bench_store`) and
the signals' feature stores (:mod:`indexer.signals.features`).  A file's name
is a hash of the caller's key (which holds a fingerprint of the data's
content) and of the size and modification time of every module of
``indexer``, so editing the code invalidates every stored result; the key is
stored too and compared on load.  Files live under
``indexer.config.data_dir()/runs/<kind>/`` (never committed; delete freely);
set ``INDEXER_NO_RESULT_CACHE=1`` to neither read nor write them.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from indexer.config import data_dir

__all__ = ["DISABLE_ENV", "code_stamp", "store_dir", "load", "save", "enabled"]

#: Set to a non-empty value to disable the on-disk stores.
DISABLE_ENV = "INDEXER_NO_RESULT_CACHE"


def enabled() -> bool:
    """Whether the on-disk stores are read and written (``INDEXER_NO_RESULT_CACHE`` unset or empty)."""
    return not os.environ.get(DISABLE_ENV)


def store_dir(kind: str) -> Path:
    """``data_dir()/runs/<kind>``."""
    return data_dir() / "runs" / kind


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """Hash of (path, size, mtime) of every ``indexer`` module: changes whenever the code does."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha1()
    for p in sorted(root.rglob("*.py")):
        st = p.stat()
        h.update(f"{p.relative_to(root)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def _path(kind: str, key: Any) -> Path:
    h = hashlib.sha1(repr((key, code_stamp())).encode()).hexdigest()[:24]
    return store_dir(kind) / f"{h}.pkl"


def load(kind: str, key: Any) -> Any | None:
    """Return the value stored for ``key`` (a value with a stable ``repr``), or ``None`` (absent, unreadable, disabled)."""
    if not enabled():
        return None
    try:
        with _path(kind, key).open("rb") as f:
            stored_key, value = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        return None
    return value if stored_key == repr(key) else None


def save(kind: str, key: Any, value: Any) -> bool:
    """Store ``value`` for ``key`` atomically; ``False`` when disabled or the disk refuses (errors are ignored)."""
    if not enabled():
        return False
    p = _path(kind, key)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump((repr(key), value), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, p)
    except OSError:
        return False
    return True
