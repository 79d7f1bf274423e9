"""Lazy, positional cuts behind :meth:`MarketData.until` and :meth:`MarketData.bars` (point-in-time views).

A walk-forward asks for a longer view of the same data at every decision.  Cutting every panel,
text table and membership table by label or boolean mask each time cost more than many decisions;
these helpers cut by position (panels are aligned to ``close``; sorted times are searched), and
only what a strategy reads (metric panels, membership tables: on first access).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BarSlice", "KnownBy", "known_by", "latest_time", "memo"]


def memo(obj: Any, name: str, make: Any) -> Any:
    """``obj.<name>``, computed by ``make()`` on first use (a frozen dataclass's derived, immutable fact)."""
    got = obj.__dict__.get(name)
    if got is None:
        got = make()
        object.__setattr__(obj, name, got)
    return got


def latest_time(times: pd.Index | pd.Series | None) -> pd.Timestamp | None:
    """Return the latest of ``times`` (UTC), ``Timestamp.max`` when one is missing, ``None`` when there are none."""
    if times is None or len(times) == 0:
        return None
    if times.isna().any():  # an undated row is never "known by" a time: no shortcut
        return pd.Timestamp.max.tz_localize("UTC")
    t = pd.Timestamp(times.max())
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def known_by(frame: pd.DataFrame | pd.Series, times: pd.Index | pd.Series, as_of: pd.Timestamp, is_sorted: bool):
    """Rows of ``frame`` whose ``times`` are <= ``as_of``: a positional cut when the times are sorted, else a mask."""
    if is_sorted:
        return frame.iloc[: int(times.searchsorted(as_of, side="right"))]
    return frame[np.asarray(times <= as_of)] if isinstance(frame, pd.DataFrame) else frame.loc[np.asarray(times <= as_of)]


class _LazyCuts(Mapping):
    """A mapping of tables from ``source``, each cut by :meth:`_cut_one` when first read.

    Pickles as the plain dict it stands for (e.g. to a Dask worker).
    """

    source: Mapping[str, pd.DataFrame]

    def __init__(self, source: Mapping[str, pd.DataFrame]) -> None:
        self.source = source
        self._cut: dict[str, pd.DataFrame] = {}

    @abstractmethod
    def _cut_one(self, name: str) -> pd.DataFrame:
        """Return the table ``name`` of ``source``, cut."""

    def __getitem__(self, name: str) -> pd.DataFrame:
        """Return the table ``name``, cut on first access."""
        got = self._cut.get(name)
        if got is None:
            got = self._cut[name] = self._cut_one(name)
        return got

    def __iter__(self) -> Iterator[str]:
        """Iterate over the table names."""
        return iter(self.source)

    def __len__(self) -> int:
        """Return the number of tables."""
        return len(self.source)

    def __contains__(self, name: object) -> bool:
        """Return whether ``name`` is a table."""
        return name in self.source

    def __reduce__(self) -> tuple:
        """Pickle as the plain dict this stands for."""
        return (dict, (dict(self.items()),))


class BarSlice(_LazyCuts):
    """Named panels cut to the bars at positions ``start:stop`` on first access (a lazy ``{name: panel.iloc[start:stop]}``).

    Point-in-time views of data with dozens of metric panels cut only the panels a strategy reads.
    """

    start: int
    stop: int

    def __init__(self, panels: Mapping[str, pd.DataFrame], start: int, stop: int) -> None:
        if isinstance(panels, BarSlice):  # a cut of a cut: positions in the original panels
            start, stop = panels.start + start, min(panels.start + stop, panels.stop)
            panels = panels.source
        super().__init__(panels)
        self.start, self.stop = start, max(stop, start)

    def _cut_one(self, name: str) -> pd.DataFrame:
        return self.source[name].iloc[self.start : self.stop]

    def __repr__(self) -> str:
        """Show the panel names and the bar positions."""
        return f"BarSlice({list(self.source)}, bars {self.start}:{self.stop})"


class KnownBy(_LazyCuts):
    """Membership tables cut to the snapshots known at ``as_of`` when first read.

    A lazy ``{name: table[table.known_from <= as_of]}``; pickles as that plain dict.
    """

    def __init__(self, tables: Mapping[str, pd.DataFrame], as_of: pd.Timestamp, is_sorted: Mapping[str, bool]) -> None:
        super().__init__(tables)
        self.as_of, self._sorted = as_of, is_sorted

    def _cut_one(self, name: str) -> pd.DataFrame:
        m = self.source[name]
        return known_by(m, m["known_from"], self.as_of, self._sorted[name])
