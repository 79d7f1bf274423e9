"""``MarketData``: the frozen bundle of panels every strategy reads, with point-in-time views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import pandas as pd

from indexer._typing import Panel
from indexer.data.registry import AssetRegistry, default_registry
from indexer.data.views import BarSlice, KnownBy, known_by, latest_time, memo
from indexer.exceptions import DataError

__all__ = ["MarketData", "Sentiment", "BarSlice", "to_utc"]


def to_utc(ts: Any) -> pd.Timestamp:
    """Return a UTC ``Timestamp`` from a date string or timestamp (naive values are taken as UTC).

    Raises
    ------
    DataError
        When ``ts`` is not a date/time (names the value and the expected form).
    """
    try:
        t = pd.Timestamp(ts)
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"cannot read {ts!r} as a date/time; expected e.g. 2024-06-30 or 2024-06-30T00:00:00Z (UTC)"
        ) from exc
    if t is pd.NaT:
        raise DataError(f"cannot read {ts!r} as a date/time; expected e.g. 2024-06-30 (UTC)")
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


@dataclass(frozen=True)
class Sentiment:
    """Sentiment inputs.

    Attributes
    ----------
    index
        Market-wide daily index (e.g. Crypto Fear & Greed, 0-100), UTC-dated Series.
    texts
        Dated texts: columns ``timestamp`` (UTC, the day the text became known),
        ``text``, ``assets`` (tuple of tagged symbols), optional ``label``/``url``.
    """

    index: pd.Series | None = None
    texts: pd.DataFrame | None = None

    def until(self, as_of: pd.Timestamp) -> Sentiment:
        """Index values and texts known at ``as_of`` (inclusive); ``self`` when nothing is later."""
        if self.horizon() <= as_of:
            return self
        return _SentimentUntil(_cut=(self, as_of))

    def _sorted_times(self) -> tuple[bool, bool]:
        """Whether the index's and the texts' times are sorted (memoised)."""
        return memo(self, "_sorted", lambda: (
            self.index is not None and self.index.index.is_monotonic_increasing,
            self.texts is not None and self.texts["timestamp"].is_monotonic_increasing))  # fmt: skip

    def horizon(self) -> pd.Timestamp:
        """Return a time no index value or text is later than (``Timestamp.min`` when there is none; memoised)."""

        def find() -> pd.Timestamp:
            times = [t for t in (latest_time(self.index.index if self.index is not None else None),
                                 latest_time(self.texts["timestamp"] if self.texts is not None else None)) if t is not None]  # fmt: skip
            return max(times) if times else pd.Timestamp.min.tz_localize("UTC")

        return memo(self, "_horizon_t", find)


class _SentimentUntil(Sentiment):
    """The result of :meth:`Sentiment.until`, cut from the source when first read.

    ``index`` and ``texts`` are cut when first read (a decision that reads no sentiment pays nothing).  Pickles and ``dataclasses.replace`` give a plain
    :class:`Sentiment`.
    """

    def __init__(self, index: pd.Series | None = None, texts: pd.DataFrame | None = None,
                 _cut: tuple[Sentiment, pd.Timestamp] | None = None) -> None:  # fmt: skip
        if _cut is None:  # dataclasses.replace: plain values
            object.__setattr__(self, "_values", {"index": index, "texts": texts})
            return
        src, as_of = _cut
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_cut", _cut)
        object.__setattr__(self, "_horizon_t", min(src.horizon(), as_of))
        object.__setattr__(self, "_sorted", src._sorted_times())  # a prefix of sorted rows is sorted

    def _part(self, name: str) -> Any:
        values = self.__dict__["_values"]
        if name not in values:
            src, as_of = self.__dict__["_cut"]
            idx_sorted, texts_sorted = self.__dict__["_sorted"]
            if name == "index":
                v = src.index
                values[name] = None if v is None else known_by(v, v.index, as_of, idx_sorted)
            else:
                v = src.texts
                values[name] = None if v is None else known_by(v, v["timestamp"], as_of, texts_sorted)
        return values[name]

    @property
    def index(self) -> pd.Series | None:
        return self._part("index")

    @property
    def texts(self) -> pd.DataFrame | None:
        return self._part("texts")

    def __reduce__(self) -> tuple:
        return (Sentiment, (self.index, self.texts))




@dataclass(frozen=True, repr=False)
class MarketData:
    """A frozen bundle of aligned panels (UTC timestamps x assets).

    Attributes
    ----------
    close
        Close prices in USD (quote currency); the reference panel every other aligns to.
    volume
        Traded value per bar in USD (not base units).
    market_cap
        Market capitalisation in USD, or ``None``.
    metrics
        Named extra panels (on-chain metrics, TVL, ...) on the same index.
    sentiment
        :class:`Sentiment` inputs.
    assets
        The :class:`AssetRegistry`.
    provenance
        Where each field came from (source files, download times), for reports.
    membership
        Point-in-time index membership tables by source name (e.g.
        ``cmc_monthly_top200``), columns of
        :data:`indexer.data.sources.cmc_membership.MEMBERSHIP_COLUMNS`; :meth:`until` keeps
        the snapshots known at ``as_of`` only.
    """

    close: Panel
    volume: Panel | None = None
    market_cap: Panel | None = None
    metrics: Mapping[str, Panel] = field(default_factory=dict)
    sentiment: Sentiment = field(default_factory=Sentiment)
    assets: AssetRegistry = field(default_factory=default_registry)
    provenance: Mapping[str, Any] = field(default_factory=dict)
    membership: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Check every panel shares ``close``'s index and columns (DataError naming the panel)."""
        idx, cols = self.close.index, self.close.columns
        for name, panel in self._panels().items():
            if panel is None or name == "close":
                continue
            if not panel.index.equals(idx) or not panel.columns.equals(cols):
                raise DataError(
                    f"MarketData: panel {name!r} is not aligned to close "
                    f"({panel.shape} vs {self.close.shape}); reindex it to close's timestamps and assets"
                )

    def __repr__(self) -> str:
        """Return a one-line summary: panels, assets, bars, span and number of texts."""
        fields = [n for n in ("close", "volume", "market_cap") if getattr(self, n) is not None]
        texts = 0 if self.sentiment.texts is None else len(self.sentiment.texts)
        span = f"{self.start:%Y-%m-%d}..{self.end:%Y-%m-%d}" if len(self.index) else "empty"
        return (
            f"MarketData({len(self.index)} bars {span} UTC, {len(self.symbols)} assets, "
            f"fields={fields}, metrics={self._metric_summary()}, texts={texts})"
        )

    def _metric_summary(self) -> str:
        names = sorted(self.metrics)
        return str(names) if len(names) <= 8 else f"{len(names)} [{', '.join(names[:6])}, ...]"

    def _panels(self) -> dict[str, Panel | None]:
        return {"close": self.close, "volume": self.volume, "market_cap": self.market_cap, **dict(self.metrics)}

    @property
    def index(self) -> pd.DatetimeIndex:
        """The bar timestamps (UTC)."""
        return self.close.index

    @property
    def symbols(self) -> list[str]:
        """Asset symbols (columns of every panel)."""
        return self.close.columns.tolist()

    @property
    def start(self) -> pd.Timestamp:
        """First bar (UTC)."""
        return self.close.index[0]

    @property
    def end(self) -> pd.Timestamp:
        """Last bar (UTC)."""
        return self.close.index[-1]

    def until(self, as_of: Any) -> MarketData:
        """Point-in-time view: every panel row and text known at the close of ``as_of`` (inclusive).

        Panels are cut by position (views, not copies; metric panels when first read); ``self``
        itself when nothing in it is later than ``as_of`` (a view cut again at its own end).
        """
        t = to_utc(as_of)
        idx = self.close.index
        if not idx.is_monotonic_increasing:
            return self._until_masked(t)
        n = int(idx.searchsorted(t, side="right"))
        if n == len(idx) and self._horizon() <= t:
            return self
        srt = memo(self, "_sorted", lambda: {k: m["known_from"].is_monotonic_increasing for k, m in self.membership.items()})
        view = self._view(
            self.bars(0, n),
            sentiment=self.sentiment.until(t),
            membership=KnownBy(self.membership, t, srt) if self.membership else {},
        )
        object.__setattr__(view, "_sorted", srt)  # a prefix of sorted rows is sorted
        object.__setattr__(view, "_horizon_t", min(self._horizon(), t))  # nothing in the view is later than t
        return view

    def _until_masked(self, t: pd.Timestamp) -> MarketData:
        """:meth:`until` for an unsorted index (label cuts and masks)."""
        cut = lambda p: None if p is None else p.loc[:t]  # noqa: E731
        return replace(
            self,
            close=self.close.loc[:t],
            volume=cut(self.volume),
            market_cap=cut(self.market_cap),
            metrics={k: v.loc[:t] for k, v in self.metrics.items()},
            sentiment=self.sentiment.until(t),
            membership={k: m[m["known_from"] <= t] for k, m in self.membership.items()},
        )

    def _horizon(self) -> pd.Timestamp:
        """Return a time no sentiment value, text or membership snapshot is later than (memoised)."""

        def find() -> pd.Timestamp:
            times = [self.sentiment.horizon()]
            return max(times + [t for t in (latest_time(m["known_from"]) for m in self.membership.values()) if t is not None])

        return memo(self, "_horizon_t", find)

    def bars(self, start: int, stop: int) -> MarketData:
        """Return the bars at positions ``start:stop`` of every panel (views; metric panels cut when first read).

        Sentiment and membership are kept as they are (cut them by time, as :meth:`until` does).
        """
        cut = lambda p: None if p is None else p.iloc[start:stop]  # noqa: E731
        return self._view(self, close=self.close.iloc[start:stop], volume=cut(self.volume),
                          market_cap=cut(self.market_cap), metrics=BarSlice(self.metrics, start, stop))  # fmt: skip

    @staticmethod
    def _view(base: MarketData, **changes: Any) -> MarketData:
        """``replace(base, **changes)`` without re-checking alignment: for row cuts of aligned panels."""
        view = object.__new__(MarketData)
        for f in fields(MarketData):
            object.__setattr__(view, f.name, changes[f.name] if f.name in changes else getattr(base, f.name))
        return view

    def between(self, start: Any = None, end: Any = None) -> MarketData:
        """Rows with ``start <= timestamp <= end`` (texts and sentiment index likewise)."""
        s = to_utc(start) if start is not None else None
        e = to_utc(end) if end is not None else None
        sl = lambda p: None if p is None else p.loc[s:e]  # noqa: E731
        sent = self.sentiment
        if sent.index is not None or sent.texts is not None:
            idx = sent.index.loc[s:e] if sent.index is not None else None
            tx = sent.texts
            if tx is not None:
                m = pd.Series(True, index=tx.index)
                if s is not None:
                    m &= tx["timestamp"] >= s
                if e is not None:
                    m &= tx["timestamp"] <= e
                tx = tx[m]
            sent = Sentiment(index=idx, texts=tx)
        return replace(
            self,
            close=sl(self.close),
            volume=sl(self.volume),
            market_cap=sl(self.market_cap),
            metrics={k: sl(v) for k, v in self.metrics.items()},
            sentiment=sent,
            membership={k: (m if e is None else m[m["known_from"] <= e]) for k, m in self.membership.items()},
        )

    def select(self, assets: list[str]) -> MarketData:
        """Only the given asset columns."""
        pick = lambda p: None if p is None else p[assets]  # noqa: E731
        return replace(
            self,
            close=self.close[assets],
            volume=pick(self.volume),
            market_cap=pick(self.market_cap),
            metrics={k: v[assets] for k, v in self.metrics.items()},
        )

    def returns(self) -> Panel:
        """Return the simple daily returns of ``close`` (fractions); NaN where a price is missing."""
        return self.close.pct_change(fill_method=None)
