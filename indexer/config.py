"""Process-wide settings read from the environment (never implicitly from the clock)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir

__all__ = ["data_dir", "shared_data_dir", "read_yaml_mapping", "DATA_DIR_ENV", "SHARED_DATA_ENV", "DAYS_PER_YEAR"]

DATA_DIR_ENV = "INDEXER_DATA_DIR"
SHARED_DATA_ENV = "INDEXER_SHARED_DATA"
#: Crypto trades every day: annualise with 365 days.
DAYS_PER_YEAR = 365


def data_dir() -> Path:
    """Local parquet cache directory: ``$INDEXER_DATA_DIR`` or the user cache dir."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser() if env else Path(user_cache_dir("indexer")) / "data"


def shared_data_dir() -> Path:
    """Where the public reference data lives: ``$INDEXER_SHARED_DATA`` or ``../shared/data``.

    The default is resolved relative to the repository checkout (the directory
    above the ``indexer`` package), so it works from any working directory.
    """
    env = os.environ.get(SHARED_DATA_ENV)
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parent.parent
    return repo.parent / "shared" / "data"


def read_yaml_mapping(path: str | Path, what: str, *, allow_empty: bool = False) -> dict:
    """The mapping in the YAML file ``path`` read through :mod:`indexer.gate` (``ConfigError`` naming the file)."""
    from indexer.gate import read_yaml_mapping as _read

    return _read(path, what, allow_empty=allow_empty)
