"""A strategy's signal feature stores kept on disk, so a cold ``indexer backtest`` reads its signals.

Inside a run the signals' :class:`~indexer.signals.features.FeatureStore` computes
every signal once and extends it as decisions advance; a second backtest in the
same process reads it from the run cache.  A new process (the CLI) would compute
everything again, so :func:`restore` loads the stores saved by an earlier process
for the same data *content* (:func:`~indexer.data.identity.content_fingerprint`:
panels, sentiment index and texts) and the same code (:mod:`indexer.disk_store`),
and :func:`persist` saves them after a run that built or extended them.  Each
stored row was computed, as always, from the point-in-time view ending at its
bar; a view longer than the stored rows extends the store as usual.  Stores that
score news texts (``news_sentiment``) are not kept.  ``INDEXER_NO_RESULT_CACHE=1``
switches this off with the benchmark store.  ``backtest`` uses it when the caller has no
``with RunCache():`` block of its own (the CLI, a notebook); a block keeps its run to itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from indexer import disk_store
from indexer.runcache import scoped

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["Restored", "restore", "persist", "COUNTS"]

_KIND = "features"
#: Feature files read and written by this process.
COUNTS = {"loaded": 0, "saved": 0}


@dataclass
class Restored:
    """What :func:`restore` found: the data's fingerprint, the stores on disk and each store's state then."""

    fingerprint: tuple
    stored: dict[str, dict[str, Any]]
    state: dict[str, tuple[int, int, int]]


def _state(cache: Any, data: MarketData) -> dict[str, tuple[int, int, int]]:
    from indexer.signals.features import stores_of

    return {k[0]: (len(s.index), s.builds, s.extensions) for k, s in stores_of(cache, data)}


def restore(strategy: Any, data: MarketData) -> Restored | None:
    """Load the stored feature stores of ``strategy``'s signals on ``data`` into the active run cache.

    ``None`` when there is nothing to do (no signals, disabled, outside a run, already in memory).
    """
    spec = getattr(getattr(strategy, "spec", None), "signals", None)
    cache = scoped()
    if spec is None or cache is None or not disk_store.enabled() or len(data.close) == 0:
        return None
    from indexer.data.identity import content_fingerprint
    from indexer.signals.features import import_stores, stores_of
    from indexer.signals.score import feature_store_key

    key = feature_store_key(spec)
    if any(k[0] == key for k, _ in stores_of(cache, data)):
        return None  # this process has it already
    fp = content_fingerprint(data)
    stored = disk_store.load(_KIND, fp) or {}
    if import_stores(cache, data, stored, {key: [s.build() for s in spec.signals]}):
        COUNTS["loaded"] += 1
    return Restored(fp, stored, _state(cache, data))


def persist(restored: Restored | None, data: MarketData) -> bool:
    """Save the stores of ``data`` when the run built or extended one since :func:`restore`; ``True`` if saved."""
    cache = scoped()
    if restored is None or cache is None:
        return False
    if _state(cache, data) == restored.state:
        return False
    from indexer.signals.features import export_stores

    fresh = export_stores(cache, data)
    if not fresh:
        return False  # nothing that can be kept (stores that score news texts)
    if disk_store.save(_KIND, restored.fingerprint, {**restored.stored, **fresh}):
        COUNTS["saved"] += 1
        return True
    return False
