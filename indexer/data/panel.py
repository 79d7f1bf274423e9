"""The one gate every panel passes: :func:`validate_panel`.

A panel is a ``pd.DataFrame`` indexed by a UTC ``DatetimeIndex`` named
``timestamp`` (unique, increasing, one bar frequency) with one ``float64``
column per asset (column index named ``asset``); NaN before listing and after
delisting.  Nothing is silently repaired; :func:`repair_panel` forward-fills on
request only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexer._typing import Panel
from indexer.exceptions import DataError

__all__ = ["validate_panel", "repair_panel", "longest_gap"]


def _where(source: str) -> str:
    return f"{source}: " if source else ""


def _check_index(idx: pd.Index, source: str) -> pd.DatetimeIndex:
    w = _where(source)
    if not isinstance(idx, pd.DatetimeIndex):
        kinds = sorted({type(x).__name__ for x in idx[:50]})
        tzs = {getattr(x, "tzinfo", None) for x in idx if isinstance(x, pd.Timestamp)}
        if len(tzs) > 1:
            raise DataError(f"{w}mixed time zones in the timestamp index ({sorted(map(str, tzs))}); expected UTC only")
        raise DataError(f"{w}index must be a DatetimeIndex of UTC timestamps, got {type(idx).__name__} of {kinds}")
    if idx.tz is None:
        raise DataError(f"{w}timestamps are naive (row 0: {idx[0] if len(idx) else '-'}); expected UTC-aware timestamps")
    if str(idx.tz) not in ("UTC", "utc", "UTC+00:00", "datetime.timezone.utc"):
        raise DataError(f"{w}timestamps are in time zone {idx.tz}; expected UTC")
    if idx.hasnans:
        row = int(np.flatnonzero(idx.isna())[0])
        raise DataError(f"{w}missing timestamp at row {row}")
    dup = idx.duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise DataError(f"{w}duplicate timestamp {idx[row]} at row {row}")
    if not idx.is_monotonic_increasing:
        diffs = np.diff(idx.asi8)
        row = int(np.flatnonzero(diffs < 0)[0]) + 1
        raise DataError(f"{w}timestamps not increasing: row {row} ({idx[row]}) comes after {idx[row - 1]}")
    return idx


def longest_gap(col: pd.Series) -> tuple[int, pd.Timestamp | None]:
    """Longest run of NaN bars strictly inside an asset's listed period (bars, start)."""
    valid = col.notna().to_numpy()
    if valid.sum() < 2:
        return 0, None
    first, last = np.flatnonzero(valid)[[0, -1]]
    inner = ~valid[first : last + 1]
    best, start, run = 0, None, 0
    for i, missing in enumerate(inner):
        run = run + 1 if missing else 0
        if run > best:
            best, start = run, col.index[first + i - run + 1]
    return best, start


def validate_panel(
    panel: pd.DataFrame,
    *,
    source: str = "",
    field: str = "close",
    positive: bool = True,
    max_gap: int | None = 5,
    allow_all_nan: bool = False,
) -> Panel:
    """Check a panel and return it normalised (float64, named axes); raise on any defect.

    Parameters
    ----------
    panel
        Wide frame: UTC timestamps x assets.
    source
        File or origin named in error messages.
    field
        Field the panel holds (``close``, ``volume``, ``market_cap``, a metric, a signal).
    positive
        Require values > 0 (prices, market caps); ``False`` allows any finite value.
    max_gap
        Longest allowed run of missing bars inside an asset's listed period
        (``None`` disables).  Use :func:`repair_panel` to fill gaps explicitly.
    allow_all_nan
        Accept assets that have no value at all (signal panels may).

    Raises
    ------
    DataError
        Naming the source, field, asset and row of the first defect found.
    """
    w = _where(source)
    if not isinstance(panel, pd.DataFrame):
        raise DataError(f"{w}{field} panel must be a pandas DataFrame, got {type(panel).__name__}")
    _check_index(panel.index, source)
    if panel.columns.has_duplicates:
        dup = panel.columns[panel.columns.duplicated()][0]
        raise DataError(f"{w}{field}: duplicate asset column {dup!r}")
    out = {}
    for asset in panel.columns:
        col = panel[asset]
        if not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)):
            conv = pd.to_numeric(col, errors="coerce")
            bad = col.notna() & conv.isna()
            row = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
            raise DataError(
                f"{w}{field} for asset {asset!r} is not numeric: row {row} "
                f"({panel.index[row]}) holds {col.iloc[row]!r}; expected a number"
            )
        vals = col.to_numpy(dtype="float64")
        inf = np.isinf(vals)
        if inf.any():
            row = int(np.flatnonzero(inf)[0])
            raise DataError(f"{w}{field} for asset {asset!r} is infinite at row {row} ({panel.index[row]})")
        if positive:
            nonpos = ~np.isnan(vals) & (vals <= 0)
            if nonpos.any():
                row = int(np.flatnonzero(nonpos)[0])
                raise DataError(
                    f"{w}{field} for asset {asset!r} must be > 0: row {row} "
                    f"({panel.index[row]}) holds {vals[row]!r}"
                )
        if not allow_all_nan and np.isnan(vals).all():
            raise DataError(f"{w}{field} for asset {asset!r} has no values (all NaN)")
        out[asset] = vals
    result = pd.DataFrame(out, index=panel.index, columns=panel.columns, dtype="float64")
    if max_gap is not None:
        for asset in result.columns:
            gap, start = longest_gap(result[asset])
            if gap > max_gap:
                row = int(result.index.get_loc(start))
                raise DataError(
                    f"{w}{field} for asset {asset!r} has a gap of {gap} missing bars starting at "
                    f"row {row} ({start}); at most {max_gap} allowed (repair explicitly with "
                    f"repair_panel(..., ffill_limit=N) or raise max_gap)"
                )
    result.index = result.index.tz_convert("UTC")
    result.index.name = "timestamp"
    result.columns = pd.Index([str(c) for c in result.columns], name="asset")
    return result


def repair_panel(panel: pd.DataFrame, *, ffill_limit: int) -> Panel:
    """Forward-fill missing bars inside each asset's listed period, at most ``ffill_limit`` in a row.

    Values before listing and after delisting stay NaN.  An explicit opt-in:
    nothing in the library calls it implicitly.
    """
    filled = panel.ffill(limit=ffill_limit)
    last_valid = panel.apply(pd.Series.last_valid_index)
    for asset, last in last_valid.items():
        if last is not None:
            filled.loc[filled.index > last, asset] = np.nan
    return filled
