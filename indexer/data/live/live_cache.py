"""The live cache on disk: per-source files, cursors and provenance, written only after validation.

Layout of one live cache (``<data_dir>/live/<exchange>/``)::

    meta.json                 exchange, symbols, fetched_at (the layout ``indexer data fetch`` writes,
                              so :func:`indexer.data.fetched_data.load_fetched` reads prices and caps)
    ohlcv/<BASE>_<QUOTE>.parquet   closed daily bars (timestamp, open, high, low, close, volume)
    market_cap/<ASSET>.parquet     daily market cap and circulating supply (USD, units)
    fear_greed.parquet        daily Fear & Greed value (0-100)
    onchain/<asset>.parquet   Coin Metrics layout: time + one column per metric
    news.parquet              timestamp (UTC day), published, text, url, feed, label, assets
    live_state.json           per source: cursor (last bar), fetched_at, url, licence, requests, error

A source first fetches and validates everything in memory (:class:`Staged`);
only then are its files replaced (each atomically) and its entry in
``live_state.json`` updated, so a malformed payload or a failed source leaves
the cache as it was.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["STATE_FILE", "Staged", "read_state", "write_state", "read_frame", "live_root"]

STATE_FILE = "live_state.json"


def live_root(exchange: str, data_dir: str | Path | None = None) -> Path:
    """``<data_dir>/live/<exchange>`` (``data_dir`` defaults to ``indexer.config.data_dir()``)."""
    from indexer.config import data_dir as default_data_dir

    return Path(data_dir if data_dir is not None else default_data_dir()) / "live" / exchange


def read_state(root: Path) -> dict[str, dict[str, Any]]:
    """Per-source cursors and provenance (empty when the cache is new)."""
    p = Path(root) / STATE_FILE
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return {}


def write_state(root: Path, source: str, entry: dict[str, Any]) -> None:
    """Replace one source's entry of ``live_state.json`` (atomic rename)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    state = read_state(root)
    state[source] = entry
    tmp = root / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=1, default=str))
    os.replace(tmp, root / STATE_FILE)


def read_frame(path: Path) -> pd.DataFrame | None:
    """Read a cached parquet file, or ``None`` when absent."""
    if not path.exists():
        return None
    from indexer.exceptions import DataError

    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: unreadable live cache file ({exc}); delete it to fetch again") from exc


@dataclass
class Staged:
    """Files of one source, validated in memory and written together by :meth:`commit`."""

    frames: dict[Path, tuple[pd.DataFrame, bool]] = field(default_factory=dict)

    def add(self, path: Path, frame: pd.DataFrame, *, index: bool = False) -> None:
        """Stage ``frame`` to be written to ``path`` on :meth:`commit`."""
        self.frames[Path(path)] = (frame, index)

    def commit(self) -> list[str]:
        """Write every staged file (temp file + rename each); returns the paths written."""
        tmps = []
        try:
            for path, (frame, index) in self.frames.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.tmp")
                frame.to_parquet(tmp, index=index)
                tmps.append((tmp, path))
        except BaseException:
            for tmp, _ in tmps:
                tmp.unlink(missing_ok=True)
            raise
        for tmp, path in tmps:
            os.replace(tmp, path)
        return [str(p) for _, p in tmps]


@dataclass
class SourceUpdate:
    """What one source fetched: staged files plus its provenance (written by :meth:`commit`).

    Attributes
    ----------
    source
        Source name (``ohlcv``, ``market_cap``, ``fear_greed``, ``onchain``, ``news``).
    url
        Where the data came from (API base or feed URLs).
    last_bar
        Newest UTC day now in the cache for this source (the cursor), ISO date.
    new_rows
        Rows added by this refresh.
    licence
        Licence / terms of the data.
    details
        Per asset / metric / feed notes (new rows, last day, skipped items).
    """

    source: str
    url: str
    last_bar: str | None
    new_rows: int
    licence: str
    staged: Staged = field(default_factory=Staged)
    details: dict[str, Any] = field(default_factory=dict)
    requests: int = 0
    retries: list[str] = field(default_factory=list)

    def commit(self, root: Path, fetched_at: pd.Timestamp) -> dict[str, Any]:
        """Write the staged files, then the source's cursor and provenance; returns the state entry."""
        files = self.staged.commit()
        entry = {
            "source": self.source, "url": self.url, "fetched_at": fetched_at.isoformat(),
            "last_bar": self.last_bar, "new_rows": self.new_rows, "licence": self.licence,
            "requests": self.requests, "retries": self.retries[-5:], "files": len(files), "details": self.details,
            "error": None,
        }
        write_state(root, self.source, entry)
        return entry
