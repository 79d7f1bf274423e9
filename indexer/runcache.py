"""``RunCache``: the one object that owns what a backtest, sweep or bot run reuses.

Everything the library memoises between decisions lives in named, bounded
buckets of one ``RunCache``: compiled optimiser problems
(``optimiser.problems``), QP warm starts keyed by the asset set
(``optimiser.warm``), the ML blend's feature stores and fitted models
(``signals.features``, ``signals.models``), walk-forward news-model scores
(``signals.news``), fitted text models (``models.text``), the asset registry read from its
file (``data.registry``), the regime filter's trend and sentiment paths
(``strategy.regime``) and benchmark results keyed by a fingerprint of the data
and the cost settings (``backtest.benchmarks``).

The cache in force is :func:`active`: the innermost ``with RunCache():`` block
of this thread (or task), else the process's default cache.  A backtest, a
sweep worker or a bot run can therefore scope its reuse explicitly::

    with RunCache() as cache:            # everything below shares one cache
        backtest(strategy, data)
        backtest(strategy, data)          # benchmarks and features reused
    cache.info()                          # entries per bucket

and nothing outlives the block (a block belongs to one thread or task: feature
stores inside are extended in place, so give each thread its own cache, as
sweep workers do).  Without a block the process default is used
(bounded, so a long notebook session does not grow without limit);
:func:`clear` empties it.  Keys must describe everything a value depends on
(shapes, asset sets, parameters, data fingerprints); see each user's docstring.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextvars import ContextVar, Token
from typing import Any, TypeVar

__all__ = ["RunCache", "active", "scoped", "clear", "run_scope", "DEFAULT_SIZES", "SHARED"]

T = TypeVar("T")

#: Largest number of entries per bucket (least recently used entries are dropped first).
DEFAULT_SIZES: dict[str, int] = {
    "optimiser.problems": 64,
    "optimiser.warm": 256,
    "signals.features": 8,
    "signals.models": 512,
    "signals.news": 64,
    "strategy.regime": 16,
    "models.text": 64,
    "data.registry": 4,
    "backtest.benchmarks": 32,
}
_FALLBACK_SIZE = 128
#: Buckets a cache with a parent delegates to it: keyed by shape, by a data fingerprint, by content
#: (text models: their training set; the asset registry: its file's size and time) or (feature stores)
#: by the identity of the data's arrays and checked against their checksums once per run.
SHARED = ("optimiser.problems", "backtest.benchmarks", "signals.features", "models.text", "data.registry")


class RunCache:
    """Named LRU buckets of reusable results; use as a context manager to make it :func:`active`.

    Parameters
    ----------
    sizes
        Entries kept per bucket (defaults: :data:`DEFAULT_SIZES`, else 128).
    parent
        A longer-lived cache that keeps the buckets in ``shared`` (a backtest's own cache hands
        compiled problems and benchmark results, which are keyed by shape and by a data
        fingerprint, to the session's, so the next backtest reuses them).
    shared
        Buckets delegated to ``parent`` (default :data:`SHARED`).
    """

    def __init__(
        self, sizes: dict[str, int] | None = None, *, parent: RunCache | None = None, shared: tuple[str, ...] | None = None
    ) -> None:
        self.parent = parent
        self._shared = frozenset(SHARED if shared is None else shared) if parent is not None else frozenset()
        self._sizes = {**DEFAULT_SIZES, **(sizes or {})}
        self._buckets: dict[str, OrderedDict[Hashable, Any]] = {}
        self._hits: dict[str, int] = {}
        self._misses: dict[str, int] = {}
        self._lock = threading.RLock()
        self._tokens: list[Token] = []

    # -- access --------------------------------------------------------------------------------
    def _delegate(self, bucket: str) -> RunCache | None:
        """Return the parent cache when ``bucket`` is shared with it, else None."""
        return self.parent if bucket in self._shared else None

    def get(self, bucket: str, key: Hashable, default: Any = None) -> Any:
        """Return the value stored under ``key`` in ``bucket`` (marked as recently used), else ``default``."""
        if (parent := self._delegate(bucket)) is not None:
            return parent.get(bucket, key, default)
        with self._lock:
            b = self._buckets.get(bucket)
            if b is not None and key in b:
                b.move_to_end(key)
                self._hits[bucket] = self._hits.get(bucket, 0) + 1
                return b[key]
            self._misses[bucket] = self._misses.get(bucket, 0) + 1
            return default

    def put(self, bucket: str, key: Hashable, value: Any) -> Any:
        """Store ``value``; drops the least recently used entries beyond the bucket's size. Returns ``value``."""
        if (parent := self._delegate(bucket)) is not None:
            return parent.put(bucket, key, value)
        with self._lock:
            b = self._buckets.setdefault(bucket, OrderedDict())
            b[key] = value
            b.move_to_end(key)
            limit = self.size(bucket)
            while len(b) > limit:
                b.popitem(last=False)
            return value

    def pop(self, bucket: str, key: Hashable) -> None:
        """Forget one entry (no error when absent)."""
        if (parent := self._delegate(bucket)) is not None:
            parent.pop(bucket, key)
            return
        with self._lock:
            self._buckets.get(bucket, OrderedDict()).pop(key, None)

    def get_or_make(self, bucket: str, key: Hashable, make: Callable[[], T]) -> T:
        """Return the cached value, or ``make()`` stored and returned (``make`` runs outside the lock)."""
        sentinel = _MISSING
        hit = self.get(bucket, key, sentinel)
        if hit is not sentinel:
            return hit
        return self.put(bucket, key, make())

    def size(self, bucket: str) -> int:
        """Most entries ``bucket`` keeps (0 disables it)."""
        if (parent := self._delegate(bucket)) is not None:
            return parent.size(bucket)
        return self._sizes.get(bucket, _FALLBACK_SIZE)

    def values(self, bucket: str) -> list[Any]:
        """Return a snapshot of the values in ``bucket`` (oldest first)."""
        if (parent := self._delegate(bucket)) is not None:
            return parent.values(bucket)
        with self._lock:
            return list(self._buckets.get(bucket, {}).values())

    def items(self, bucket: str) -> list[tuple[Hashable, Any]]:
        """Return a snapshot of the ``(key, value)`` pairs in ``bucket`` (oldest first)."""
        if bucket in self._shared:
            return self.parent.items(bucket)  # type: ignore[union-attr]
        with self._lock:
            return list(self._buckets.get(bucket, {}).items())

    def clear(self, bucket: str | None = None) -> None:
        """Empty one bucket, or all of them."""
        with self._lock:
            if bucket is None:
                self._buckets.clear()
                self._hits.clear()
                self._misses.clear()
            else:
                self._buckets.pop(bucket, None)

    def info(self) -> dict[str, dict[str, int]]:
        """Per bucket: ``entries``, ``hits`` and ``misses``."""
        with self._lock:
            names = set(self._buckets) | set(self._hits) | set(self._misses)
            return {
                n: {"entries": len(self._buckets.get(n, ())), "hits": self._hits.get(n, 0), "misses": self._misses.get(n, 0)}
                for n in sorted(names)
            }

    # -- scope ---------------------------------------------------------------------------------
    def __enter__(self) -> RunCache:
        """Make this the active cache of the block."""
        self._tokens.append(_ACTIVE.set(self))
        return self

    def __exit__(self, *exc: Any) -> None:
        """Restore the cache that was active before the block."""
        _ACTIVE.reset(self._tokens.pop())

    def __repr__(self) -> str:
        """Return the entries per bucket."""
        sizes = ", ".join(f"{k}={v['entries']}" for k, v in self.info().items())
        return f"RunCache({sizes})"


_MISSING = object()
_DEFAULT = RunCache()
_ACTIVE: ContextVar[RunCache | None] = ContextVar("indexer_run_cache", default=None)


def active() -> RunCache:
    """Return the cache in force: the innermost ``with RunCache():`` block, else the process default."""
    c = _ACTIVE.get()
    return _DEFAULT if c is None else c


def scoped() -> RunCache | None:
    """Return the cache of the innermost ``with RunCache():`` block, or ``None`` outside any.

    What needs a run's guarantees, such as data that is not mutated while it runs, uses only this.
    """
    return _ACTIVE.get()


def run_scope() -> RunCache:
    """Return the cache a new run should enter.

    The innermost ``with RunCache():`` block when there is one (the caller shares it on purpose),
    else a fresh one whose shared buckets live in the process default.
    """
    c = _ACTIVE.get()
    return c if c is not None else RunCache(parent=_DEFAULT)


def clear() -> None:
    """Empty the process default cache (an active ``with RunCache()`` block is not affected)."""
    _DEFAULT.clear()
