"""Long-format readers: ``indexer.read_csv(path)`` and ``indexer.read_parquet(path)``.

Layout: one row per (timestamp, asset) with columns ``timestamp``, ``asset``,
``close`` and optionally ``volume`` (USD), ``market_cap`` (USD), ``open``,
``high``, ``low`` (read and ignored) and metric columns named in
:data:`KNOWN_METRICS` or passed as ``metrics=``.  A Yahoo-style per-asset CSV
(``Date, Open, High, Low, Close, [Adj Close,] Volume``; asset from the file
name ``<ASSET>-USD*.csv`` or ``asset=``) is accepted too.

Timestamps: ISO strings with ``Z``/``+00:00`` or date-only ``YYYY-MM-DD``
(a UTC day label); a time without a zone is *naive* and rejected, as are
other zones and a mix of zones.  Every defect raises :class:`DataError`
naming the file, asset and row (CSV: the file line, header = line 1;
parquet: the 0-based row).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from indexer.data.market import MarketData
from indexer.data.panel import validate_panel
from indexer.data.registry import AssetRegistry, default_registry
from indexer.exceptions import DataError
from indexer.gate import MAX_DATA_BYTES, check_file, decode

__all__ = ["read_csv", "read_csv_text", "read_parquet", "from_long", "KNOWN_METRICS", "DEFAULT_MAX_GAP"]

#: Metric columns accepted without being named (CoinMetrics community names and TVL).
KNOWN_METRICS = frozenset(
    "AdrActCnt TxCnt TxTfrCnt FeeTotUSD FeeTotNtv TxTfrValAdjUSD TxTfrValUSD TxTfrValNtv CapMrktCurUSD CapRealUSD "
    "CapMVRVCur HashRate RevUSD PriceUSD SplyCur NVTAdj IssTotUSD TVL".split()
)
#: Longest run of missing bars allowed inside an asset's listed period.
DEFAULT_MAX_GAP = 3
_IGNORED = frozenset({"open", "high", "low", "adj_close"})
_REQUIRED = ("timestamp", "asset", "close")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_YAHOO_COLS = {"Date", "Close"}


def _where(kind: str, i: int) -> str:
    return f"line {i + 2}" if kind == "csv" else f"row {i}"


def _parse_timestamps(col: pd.Series, src: str, kind: str) -> pd.DatetimeIndex:
    """UTC timestamps from strings or datetimes; reject naive, non-UTC and mixed zones."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        if str(col.dt.tz) not in ("UTC", "utc"):
            raise DataError(f"{src}: timestamps are in time zone {col.dt.tz}; expected UTC")
        return pd.DatetimeIndex(col)
    if pd.api.types.is_datetime64_dtype(col):
        raise DataError(f"{src}: timestamps are naive ({_where(kind, 0)}: {col.iloc[0]}); expected UTC-aware timestamps")
    zones: dict[str, int] = {}
    values = col.astype("string").str.strip()
    missing = values.isna() | (values == "")
    if missing.any():
        raise DataError(f"{src}: {_where(kind, int(np.flatnonzero(missing.to_numpy())[0]))}: missing timestamp")
    uniq, first = np.unique(values.to_numpy(dtype=str), return_index=True)
    for j in np.argsort(first, kind="stable"):
        v, i = str(uniq[j]), int(first[j])
        if _DATE_ONLY.match(v):
            zone = "UTC"
        else:
            m = _ZONE.search(v)
            if m is None:
                raise DataError(f"{src}: {_where(kind, i)}: timestamp {v!r} is naive; expected UTC (e.g. {v}Z) or a date")
            zone = "UTC" if m.group(1) in ("Z", "+00:00", "+0000", "-00:00") else m.group(1)
        zones.setdefault(zone, i)
        if len(zones) > 1:
            a, b = sorted(zones.items(), key=lambda kv: kv[1])[:2]
            raise DataError(
                f"{src}: mixed time zones: {_where(kind, a[1])} is {a[0]} but {_where(kind, b[1])} is {b[0]}; expected UTC only"
            )
    zone = next(iter(zones), "UTC")
    if zone != "UTC":
        raise DataError(f"{src}: timestamps are in time zone {zone} ({_where(kind, zones[zone])}); expected UTC")
    try:
        return pd.DatetimeIndex(pd.to_datetime(values, utc=True, format="ISO8601"))
    except (ValueError, TypeError):
        for i, v in enumerate(values):
            try:
                pd.Timestamp(v)
            except (ValueError, TypeError):
                raise DataError(f"{src}: {_where(kind, i)}: cannot parse timestamp {v!r}") from None
        raise


def _numeric(frame: pd.DataFrame, column: str, src: str, kind: str, positive: bool) -> np.ndarray:
    raw = frame[column]
    if pd.api.types.is_bool_dtype(raw.dtype) or (raw.dtype == object and raw.map(lambda v: isinstance(v, (bool, np.bool_))).any()):
        flags = raw.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy()
        i = int(np.flatnonzero(flags)[0]) if flags.any() else 0
        raise DataError(
            f"{src}: {_where(kind, i)}: {column} for asset {frame['asset'].iloc[i]!r} holds a boolean ({raw.iloc[i]!r}); "
            "expected a number"
        )
    conv = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & conv.isna() & (raw.astype("string").str.strip() != "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{src}: {_where(kind, i)}: {column} for asset {frame['asset'].iloc[i]!r} holds {raw.iloc[i]!r}; expected a number"
        )
    vals = conv.to_numpy(dtype="float64")
    inf = np.isinf(vals)
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise DataError(
            f"{src}: {_where(kind, i)}: {column} for asset {frame['asset'].iloc[i]!r} is {raw.iloc[i]!r}; expected a finite number"
        )
    if positive:
        badv = ~np.isnan(vals) & (vals <= 0)
        label = "> 0"
    else:
        badv = ~np.isnan(vals) & (vals < 0)
        label = ">= 0"
    if column in ("close", "volume", "market_cap") and badv.any():
        i = int(np.flatnonzero(badv)[0])
        raise DataError(
            f"{src}: {_where(kind, i)}: {column} for asset {frame['asset'].iloc[i]!r} is {float(vals[i])!r}; expected {label}"
        )
    return vals


def _check_order(ts: pd.DatetimeIndex, assets: pd.Series, src: str, kind: str) -> None:
    key = pd.DataFrame({"t": ts.asi8, "a": assets.to_numpy()})
    dup = key.duplicated(keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        first = int(np.flatnonzero(((key["t"] == key["t"].iloc[i]) & (key["a"] == key["a"].iloc[i])).to_numpy())[0])
        raise DataError(
            f"{src}: {_where(kind, i)}: duplicate timestamp {ts[i]} for asset {assets.iloc[i]!r} "
            f"(first at {_where(kind, first)})"
        )
    back = key.groupby("a", sort=False)["t"].diff() < 0
    if back.any():
        i = int(np.flatnonzero(back.to_numpy())[0])
        raise DataError(
            f"{src}: {_where(kind, i)}: timestamps of asset {assets.iloc[i]!r} not increasing: "
            f"{ts[i]} comes after a later bar; sort the file by asset and timestamp"
        )


def _check_gaps(
    wide: pd.DataFrame, rows: pd.DataFrame, step: pd.Timedelta, src: str, kind: str, max_gap: int | None
) -> None:
    if max_gap is None:
        return
    for asset in wide.columns:
        valid = wide[asset].dropna().index
        if len(valid) < 2:
            continue
        missing = np.asarray((valid[1:] - valid[:-1]) // step) - 1
        k = int(np.argmax(missing))
        if missing[k] > max_gap:
            before = valid[k]
            i = int(np.flatnonzero(((rows["asset"] == asset) & (rows["ts"] == before)).to_numpy())[0])
            raise DataError(
                f"{src}: asset {asset!r} has a gap of {int(missing[k])} missing bars after {_where(kind, i)} "
                f"({before}; next bar {valid[k + 1]}); at most {max_gap} allowed"
            )


def _grid(
    uniq: pd.DatetimeIndex, ts: pd.DatetimeIndex, step: str | pd.Timedelta | None, src: str, kind: str
) -> tuple[pd.DatetimeIndex, pd.Timedelta, str]:
    """Return the regular bar grid of ``uniq``: explicit ``step`` or the most common spacing; off-grid rows are errors."""
    if step is not None:
        try:
            delta, how = pd.Timedelta(step), "given"
        except ValueError:
            raise DataError(f"{src}: step {step!r} is not a duration (e.g. 1D, 1h)") from None
        if delta <= pd.Timedelta(0):
            raise DataError(f"{src}: step {step!r} must be positive")
    elif len(uniq) > 1:
        diffs = pd.Series(uniq[1:] - uniq[:-1])
        delta, how = diffs.mode().min(), "inferred: most common spacing"
    else:
        delta, how = pd.Timedelta(days=1), "assumed: a single timestamp"
    off = ((uniq - uniq[0]) % delta) != pd.Timedelta(0)
    if off.any():
        bad = uniq[np.flatnonzero(off)[0]]
        i = int(np.flatnonzero(ts == bad)[0])
        raise DataError(
            f"{src}: {_where(kind, i)}: timestamp {bad} is off the {delta} grid of the other bars "
            f"(from {uniq[0]}); remove the row or pass step= (e.g. an intraday row among daily bars)"
        )
    index = pd.date_range(uniq[0], uniq[-1], freq=delta, tz="UTC", name="timestamp")
    return index, delta, how


def from_long(
    frame: pd.DataFrame,
    *,
    source: str = "",
    kind: str = "parquet",
    max_gap: int | None = DEFAULT_MAX_GAP,
    metrics: Iterable[str] = (),
    registry: AssetRegistry | None = None,
    step: str | pd.Timedelta | None = None,
) -> MarketData:
    """Validate a long-format frame and pivot it into :class:`MarketData` (see module docstring).

    ``step`` is the bar spacing (e.g. ``"1D"``, ``"1h"``); ``None`` takes the most
    common spacing of the timestamps and says so in ``provenance["step"]``.  A
    timestamp off that grid (an intraday row among daily bars) is an error
    naming its row, never a finer grid full of gaps.
    """
    src = source or "<frame>"
    frame = frame.reset_index(drop=True)
    cols = [str(c) for c in frame.columns]
    frame.columns = cols
    if missing := [c for c in _REQUIRED if c not in cols]:
        raise DataError(f"{src}: missing required column(s) {missing}; expected timestamp, asset, close[, volume, market_cap, metrics]")
    allowed_metrics = KNOWN_METRICS | set(metrics)
    extra = [c for c in cols if c not in _REQUIRED and c not in ("volume", "market_cap") and c not in _IGNORED]
    if unknown := [c for c in extra if c not in allowed_metrics]:
        raise DataError(
            f"{src}: unknown column(s) {unknown}; allowed: timestamp, asset, close, volume, market_cap, open, high, low "
            f"and metric columns ({', '.join(sorted(KNOWN_METRICS))}) or names passed as metrics="
        )
    if len(frame) == 0:
        raise DataError(f"{src}: no rows")
    blank = frame["asset"].isna() | (frame["asset"].astype("string").str.strip() == "")
    if blank.any():
        raise DataError(f"{src}: {_where(kind, int(np.flatnonzero(blank.to_numpy())[0]))}: missing asset")
    frame["asset"] = frame["asset"].astype(str).str.strip()
    ts = _parse_timestamps(frame["timestamp"], src, kind)
    _check_order(ts, frame["asset"], src, kind)
    fields = {"close": _numeric(frame, "close", src, kind, True)}
    for c in ("volume", "market_cap", *extra):
        if c in cols:
            fields[c] = _numeric(frame, c, src, kind, c == "market_cap")
    rows = pd.DataFrame({"ts": ts, "asset": frame["asset"].to_numpy(), **fields})
    close_any = rows.groupby("asset", sort=False)["close"].apply(lambda s: s.notna().any())
    if (~close_any).any():
        asset = close_any.index[~close_any.to_numpy()][0]
        i = int(np.flatnonzero((rows["asset"] == asset).to_numpy())[0])
        raise DataError(f"{src}: asset {asset!r} has no close values (all NaN; first at {_where(kind, i)})")
    uniq = ts.unique().sort_values()
    index, step, step_how = _grid(uniq, ts, step, src, kind)
    wide = {f: rows.pivot(index="ts", columns="asset", values=f).reindex(index) for f in fields}
    order = list(dict.fromkeys(rows["asset"]))
    wide = {f: w[order] for f, w in wide.items()}
    _check_gaps(wide["close"], rows, step, src, kind, max_gap)
    panels = {
        f: validate_panel(
            w,
            source=src,
            field=f,
            positive=f in ("close", "market_cap"),
            max_gap=max_gap if f == "close" else None,
            allow_all_nan=f != "close",
        )
        for f, w in wide.items()
    }
    return MarketData(
        close=panels.pop("close"),
        volume=panels.pop("volume", None),
        market_cap=panels.pop("market_cap", None),
        metrics=panels,
        assets=registry or default_registry(),
        provenance={
            "source": src, "format": f"long {kind}", "rows": len(frame), "max_gap": max_gap,
            "step": f"{step} ({step_how})",
        },
    )


def _yahoo_to_long(raw: pd.DataFrame, path: Path, asset: str | None) -> pd.DataFrame:
    if asset is None:
        m = re.match(r"^([A-Za-z0-9]+)-USD", path.name)
        if not m:
            raise DataError(f"{path}: Yahoo-style CSV needs the asset in the file name (<ASSET>-USD_1d.csv) or asset=")
        asset = m.group(1).upper()
    out = pd.DataFrame({"timestamp": raw["Date"], "asset": asset, "close": raw["Close"]})
    if "Volume" in raw.columns:
        out["volume"] = raw["Volume"]
    return out


def read_csv_text(path: str | Path, what: str, **kwargs: object) -> pd.DataFrame:
    """Read a CSV through the gate (:mod:`indexer.gate`) as strings; ``DataError`` naming ``what``, file and line.

    Empty files, directories, non-UTF-8 text and malformed lines are refused;
    ``kwargs`` go to :func:`pandas.read_csv` (default: every column as text).
    """
    import io

    p = check_file(path, what, max_bytes=MAX_DATA_BYTES, error=DataError)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DataError(f"{what} {p}: cannot read ({exc.strerror or exc})") from None
    text = decode(data, p, what, DataError)
    import warnings

    opts: dict = {"dtype": str, "keep_default_na": False, "na_values": ["", "NaN", "nan", "NA", "null"], "index_col": False}
    opts.update(kwargs)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # extra fields would be dropped in silence
            return pd.read_csv(io.StringIO(text), **opts)
    except pd.errors.EmptyDataError:
        raise DataError(f"{what} {p}: no header line; expected a CSV with a header") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError) as exc:
        raise DataError(f"{what} {p}: malformed CSV: {_ragged_line(text) or str(exc).strip().splitlines()[0]}") from None


def _ragged_line(text: str) -> str:
    """``"line 3 has 5 fields, the header 3"`` for the first line whose field count differs from the header's."""
    import csv
    import io

    rows = csv.reader(io.StringIO(text))
    header = next(rows, [])
    for i, row in enumerate(rows, start=2):
        if row and len(row) != len(header):
            return f"line {i} has {len(row)} fields, the header {len(header)}"
    return ""


def read_csv(
    path: str | Path,
    *,
    max_gap: int | None = DEFAULT_MAX_GAP,
    metrics: Iterable[str] = (),
    asset: str | None = None,
    registry: AssetRegistry | None = None,
    step: str | None = None,
) -> MarketData:
    """Read a long-format (or Yahoo-style per-asset) CSV into validated :class:`MarketData`.

    Raises
    ------
    DataError
        Naming the file, line and asset of the first defect.
    """
    path = Path(path)
    raw = read_csv_text(path, "price CSV")
    if _YAHOO_COLS <= set(raw.columns) and "asset" not in raw.columns:
        raw = _yahoo_to_long(raw, path, asset)
    return from_long(raw, source=str(path), kind="csv", max_gap=max_gap, metrics=metrics, registry=registry, step=step)


def read_parquet(
    path: str | Path,
    *,
    max_gap: int | None = DEFAULT_MAX_GAP,
    metrics: Iterable[str] = (),
    registry: AssetRegistry | None = None,
    step: str | None = None,
) -> MarketData:
    """Read a long-format parquet file into validated :class:`MarketData` (errors name file, 0-based row, asset)."""
    path = check_file(path, "price parquet", max_bytes=MAX_DATA_BYTES, error=DataError)
    try:
        raw = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a damaged file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"price parquet {path}: not a readable parquet file ({first})") from None
    if "timestamp" not in raw.columns and raw.index.name == "timestamp":
        raw = raw.reset_index()
    return from_long(raw, source=str(path), kind="parquet", max_gap=max_gap, metrics=metrics, registry=registry, step=step)
