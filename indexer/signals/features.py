"""``FeatureStore``: raw signal values computed once per run and extended as decisions advance.

A walk-forward asks ``score`` at every decision with a longer point-in-time
view of the same data.  Recomputing every signal over the whole history each
time (what the ML blend needs: its training set is the history) costs far more
than the decision itself.  The store keeps each signal's raw panel over all of
the data's columns and, for a later view of the same data, computes only the
new bars: signals with a :attr:`~indexer.signals.Signal.last_row_window` on a
trailing window of ``largest window + new bars``, ``news_sentiment`` incrementally
(:class:`~indexer.signals.news_state.NewsState`), any other signal over the
whole view (correct, slow).  A shorter view of the same data (an earlier
decision) reads the stored rows: row t only ever depends on data up to t.

Only views of the *same* data extend a store: the key holds the identity of
the data's underlying arrays (kept by weak reference, so a freed array cannot
alias a new one), its columns and first bar, and every run that uses the store
first compares the sums of those arrays with the ones recorded when it was
built (a panel changed in place between runs rebuilds it).  Stores live in the
``signals.features`` bucket of the active :class:`indexer.runcache.RunCache`
(which a backtest's own cache hands to the session's, so the next backtest on
the same data reads the signals instead of recomputing them), and only inside
a ``with RunCache():`` block (every backtest and sweep opens one).  A store
syncs under a lock, so threads may share it.

Signals are assumed per-asset: an asset's column depends on that asset's data
(and shared inputs such as the sentiment index), not on which other columns are
present, which holds for every registered signal (``tests/signals`` checks the
store against the whole-history computation on selected assets).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer.data.identity import ArraysSeen, panel_roots
from indexer.runcache import scoped
from indexer.signals._util import tail
from indexer.signals.base import Signal
from indexer.signals.sentiment import NewsSentiment

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["FeatureStore", "feature_store", "data_identity", "stores_of", "export_stores", "import_stores"]

_BUCKET = "signals.features"


def data_identity(data: MarketData) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """Ids of the base arrays behind every panel of ``data`` (views of the same data share them) and the arrays."""
    roots = panel_roots(data)
    return tuple(id(r) for r in roots), roots


class FeatureStore:
    """Raw panels of ``signals`` (labels) over ``columns``, rows from the data's first bar (see module docstring)."""

    def __init__(self, signals: Sequence[Signal], labels: Sequence[str], columns: pd.Index, roots: list[np.ndarray]) -> None:
        self.signals = list(signals)
        self.labels = list(labels)
        self.columns = columns
        self.seen = ArraysSeen(roots)
        self.lock = threading.RLock()
        self.index = pd.DatetimeIndex([], tz="UTC")
        self.raw: dict[str, np.ndarray] = {}
        self._news: dict[str, Any] = {}
        self.builds = 0
        self.extensions = 0

    def alive(self, roots: list[np.ndarray]) -> bool:
        """Whether the arrays this store was built from are still exactly ``roots``."""
        return self.seen.alive(roots)

    def verified(self, cache: Any, roots: list[np.ndarray]) -> bool:
        """Return ``True`` when the arrays' sums are those recorded at build (checked once per run cache)."""
        return self.seen.verified(cache, roots)

    def _full(self, data: MarketData) -> None:
        from indexer.signals.news_state import NewsState

        self.raw, self._news = {}, {}
        for label, sig in zip(self.labels, self.signals, strict=True):
            if isinstance(sig, NewsSentiment) and type(sig).compute is NewsSentiment.compute:
                st = NewsState(sig)
                self._news[label] = st
                self.raw[label] = st.build(data)
            else:
                self.raw[label] = sig(data).to_numpy(dtype="float64")
        self.index = data.close.index
        self.builds += 1

    def _extend(self, data: MarketData, m: int) -> None:
        n = len(data.close)
        k = n - m
        windows = [s.last_row_window for s in self.signals if s.last_row_window is not None]
        recent = tail(data, max(windows) + k) if windows else data  # one trailing view for every windowed signal
        for label, sig in zip(self.labels, self.signals, strict=True):
            st = self._news.get(label)
            if st is not None:
                rows = st.extend(data, m)
                if rows is None:  # texts changed under the same arrays: start again
                    self._full(data)
                    return
            elif sig.last_row_window is not None:
                rows = sig(recent).to_numpy(dtype="float64")[-k:]
            else:
                rows = sig(data).to_numpy(dtype="float64")[m:]
            self.raw[label] = np.concatenate([self.raw[label], rows])
        self.index = data.close.index
        self.extensions += 1

    def sync(self, data: MarketData) -> int:
        """Make the store cover ``data``'s bars; returns their number (rows ``:n`` of :attr:`raw` are ``data``'s)."""
        idx = data.close.index
        n, m = len(idx), len(self.index)
        if m == 0:
            self._full(data)
        elif n <= m:
            if idx[n - 1] != self.index[n - 1]:
                self._full(data)
        elif idx[m - 1] != self.index[m - 1]:
            self._full(data)
        else:
            self._extend(data, m)
        return n

    def rows(self, label: str, n: int, cols: np.ndarray) -> np.ndarray:
        """Raw values of ``label``: the first ``n`` bars, columns at positions ``cols``."""
        return self.raw[label][:n, cols]


def feature_store(data: MarketData, signals: Sequence[Signal], labels: Sequence[str], key: str) -> FeatureStore | None:
    """Return the store for ``data``'s signals ``key``, synced to ``data``.

    ``key`` describes the signals and their parameters.  ``None`` outside a ``with RunCache():``
    block or when its ``signals.features`` size is 0.
    """
    cache = scoped()
    if cache is None or cache.size(_BUCKET) == 0 or len(data.close) == 0:
        return None
    ids, roots = data_identity(data)
    k = (key, ids, tuple(data.close.columns), data.close.index[0].value)
    store = cache.get(_BUCKET, k)
    if store is None or not store.alive(roots) or not store.verified(cache, roots):
        store = cache.put(_BUCKET, k, FeatureStore(signals, labels, data.close.columns, roots))
        store.verified(cache, roots)
    with store.lock:
        store.sync(data)
    return store



def stores_of(cache: Any, data: MarketData) -> list[tuple[tuple, FeatureStore]]:
    """``(cache key, store)`` of the stores in ``cache`` built on ``data``'s arrays (its views' stores)."""
    if cache is None or cache.size(_BUCKET) == 0 or len(data.close) == 0:
        return []
    ids, roots = data_identity(data)
    first = data.close.index[0].value
    out = []
    for k, store in cache.items(_BUCKET):
        if k[1] == ids and k[3] == first and store.alive(roots):
            out.append((k, store))
    return out


def export_stores(cache: Any, data: MarketData) -> dict[str, dict[str, Any]]:
    """Return the stores of ``data`` in ``cache`` as plain values, by signals key.

    For :func:`import_stores` in another process: rows, raw panels and (ML blends) fitted models.  Stores that score news texts
    (``news_sentiment``'s per-text model state) are left out.
    """
    out = {}
    for k, store in stores_of(cache, data):
        with store.lock:
            if store._news or not len(store.index):
                continue
            out[k[0]] = {"labels": list(store.labels), "columns": tuple(store.columns), "index": store.index,
                         "raw": dict(store.raw), "models": dict(store.__dict__.get("models", {}))}  # fmt: skip
    return out


def import_stores(cache: Any, data: MarketData, stored: dict[str, dict[str, Any]], signals: dict[str, Sequence[Signal]]) -> int:
    """Put stores exported from ``data``'s content (:func:`export_stores`) into ``cache``; return how many.

    Only for the signals keys in ``signals`` (key -> the built signals).  A store covers the rows it was saved with and
    extends from there like any other.
    """
    from collections import OrderedDict

    if cache is None or cache.size(_BUCKET) == 0 or len(data.close) == 0:
        return 0
    ids, roots = data_identity(data)
    idx = data.close.index
    n = 0
    for key, sigs in signals.items():
        entry = stored.get(key)
        if entry is None or entry["columns"] != tuple(data.close.columns):
            continue
        m = len(entry["index"])
        if m == 0 or m > len(idx) or not entry["index"].equals(idx[:m]):
            continue
        store = FeatureStore(sigs, entry["labels"], data.close.columns, roots)
        store.index, store.raw = entry["index"], dict(entry["raw"])
        if entry["models"]:
            store.__dict__["models"] = OrderedDict(entry["models"])
        store.verified(cache, roots)
        cache.put(_BUCKET, (key, ids, tuple(data.close.columns), idx[0].value), store)
        n += 1
    return n
