"""Which point-in-time views come from the same data: the identity of the arrays behind their panels.

A walk-forward hands the strategy a longer view of the same data at every
decision (``data.until(t)``: row cuts, views of the same NumPy arrays).  Run-scoped
stores that extend a computation by the new bars (the signals' feature store,
the regime filter's paths) key themselves on :class:`ArraysSeen`: the ids of
those base arrays, held by weak reference (a freed array cannot alias a new one
with the same id), and their sums, compared once per run cache (a panel changed
in place between runs starts the store again).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["root_array", "ArraysSeen", "panel_roots", "content_fingerprint"]


def root_array(a: np.ndarray) -> np.ndarray:
    """Return the array that owns ``a``'s memory (``a`` itself when it is not a view)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def panel_roots(data: MarketData) -> list[np.ndarray]:
    """Return the base arrays behind every panel of ``data`` (close, volume, market cap, metrics; views share them)."""
    from indexer.data.views import BarSlice

    metrics = data.metrics
    if isinstance(metrics, BarSlice):  # a view's metric panels share the arrays of the panels they are cut from
        metrics = metrics.source
    panels = [data.close, data.volume, data.market_cap, *metrics.values()]
    return [root_array(p.to_numpy()) for p in panels if p is not None]


class ArraysSeen:
    """The arrays a store was built from: ``ids`` (for cache keys), weak references and sums."""

    def __init__(self, roots: Iterable[np.ndarray]) -> None:
        roots = list(roots)
        self.ids = tuple(id(r) for r in roots)
        self._refs = [weakref.ref(r) for r in roots]
        self._sums = _sums(roots)
        self._verified: Any = None  # weak reference to the run cache that last checked the sums

    def alive(self, roots: list[np.ndarray]) -> bool:
        """Whether the arrays are still exactly ``roots`` (none freed and replaced)."""
        return len(roots) == len(self._refs) and all(r() is x for r, x in zip(self._refs, roots, strict=True))

    def verified(self, cache: Any, roots: list[np.ndarray]) -> bool:
        """Return ``True`` when the arrays' sums are those recorded at build (checked once per run ``cache``)."""
        if self._verified is not None and self._verified() is cache:
            return True
        if _sums(roots) != self._sums:
            return False
        self._verified = weakref.ref(cache)
        return True

    def still(self, cache: Any, roots: list[np.ndarray]) -> bool:
        """:meth:`alive` and :meth:`verified`: a store built from these arrays may be reused in ``cache``'s run."""
        return self.alive(roots) and self.verified(cache, roots)


def _sums(roots: list[np.ndarray]) -> tuple[float, ...]:
    with np.errstate(all="ignore"):
        return tuple(float(np.nansum(r)) if r.dtype.kind in "fiub" else float(len(r)) for r in roots)


def content_fingerprint(data: MarketData) -> tuple:
    """Return what ``data`` holds, for keys of results stored across processes.

    Columns, bars, the sum of every panel, the sentiment index, and a digest of the texts (times, tagged assets and words).
    """
    import hashlib

    parts: list = [tuple(data.close.columns), len(data.close)]
    if len(data.close):
        parts += [data.close.index[0].value, data.close.index[-1].value]
    for name, p in [("close", data.close), ("volume", data.volume), ("market_cap", data.market_cap),
                    *sorted(data.metrics.items())]:  # fmt: skip
        if p is not None:
            with np.errstate(all="ignore"):
                parts.append((name, p.shape, float(np.nansum(p.to_numpy(dtype="float64")))))
    s = data.sentiment
    if s.index is not None:
        parts.append(("sentiment", len(s.index), float(np.nansum(s.index.to_numpy(dtype="float64")))))
    if s.texts is not None:
        h = hashlib.sha1()
        t = s.texts
        h.update(np.asarray(t["timestamp"].to_numpy(dtype="datetime64[ns]"), dtype="int64").tobytes())
        h.update("\x1f".join(",".join(map(str, a)) for a in t["assets"]).encode())
        if "text" in t.columns:
            h.update("\x1f".join(t["text"].fillna("").astype(str)).encode())
        parts.append(("texts", len(t), h.hexdigest()))
    return tuple(parts)
