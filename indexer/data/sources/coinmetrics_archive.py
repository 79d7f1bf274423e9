"""Coin Metrics community data: the three copies in ``../shared/data`` as one per-asset table.

Files (see SOURCES.md):

* ``onchain_coinmetrics_community/<asset>.csv`` -- the community CSV archive,
  17 assets to 2020-07-27, header ``time,AdrActCnt,...`` (24-43 columns).
  ``bnb.csv`` is the ERC-20 BNB token (2017-07-05..2019-04-22) and
  ``bnb_mainnet.csv`` Binance Chain BNB (from 2019-04-18): both map to ``BNB``,
  the mainnet file from its first day on.  ``metrics.csv`` is a dictionary,
  not an asset.
* ``onchain_coinmetrics_btc_ada_2020_2026/coinmetrics_{btc,ada}.csv`` --
  community API snapshots 2020-01-01..2026-06-01 with an ``asset`` column; the
  columns ``NVT_Tx_Basis``, ``Activity_Velocity``, ``FearGreedValue`` and
  ``ActiveStakeADA`` were derived or merged by that repository and are *not*
  Coin Metrics fields: they are dropped (:data:`NOT_COINMETRICS`).
* ``onchain_coinmetrics_defi_tokens/<asset>_met.csv`` -- AAVE, MKR, UNI to
  2022-01-24; the last row holds only a few market fields (kept as they are).

Quirks handled explicitly (nothing is repaired):

* ``PriceUSD`` (and ``CapMrktCurUSD``) are empty in each asset's first
  days/months, before Coin Metrics had a reference price: those days are NaN,
  "before listing".  An empty ``PriceUSD`` *after* the first price is a gap the
  panel gate (:func:`~indexer.data.panel.validate_panel`) rejects.
* Pre-launch activity rows hold ``0.0`` (no addresses, no transactions): kept;
  signals ignore non-positive values.
* Where two copies cover the same asset-day the precedence is
  community CSV > 2020-2026 snapshot > DeFi-token file; the overlap's largest
  relative difference per field is recorded (:func:`combine_coinmetrics`).

Licence: Coin Metrics community data is CC BY-NC 4.0 (non-commercial use,
attribute Coin Metrics, Inc.); :data:`COINMETRICS_ATTRIBUTION`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from indexer.exceptions import DataError

__all__ = [
    "COINMETRICS_ATTRIBUTION",
    "COINMETRICS_FIELDS",
    "NOT_COINMETRICS",
    "CoinMetricsFile",
    "read_coinmetrics_csv",
    "read_coinmetrics_sources",
    "combine_coinmetrics",
]

#: Attribution printed by ``indexer data info`` and written into provenance.
COINMETRICS_ATTRIBUTION = (
    "On-chain metrics and pre-2020 prices: Coin Metrics community data (coinmetrics.io), "
    "CC BY-NC 4.0 - non-commercial use only, attribution to Coin Metrics, Inc."
)

#: Coin Metrics fields kept in the reference data (names unchanged).
COINMETRICS_FIELDS = (
    "PriceUSD",
    "CapMrktCurUSD",
    "AdrActCnt",
    "TxCnt",
    "TxTfrCnt",
    "FeeTotNtv",
    "FeeTotUSD",
    "TxTfrValAdjUSD",
    "CapRealUSD",
    "CapMVRVCur",
    "SplyCur",
    "IssTotNtv",
    "HashRate",
    "NVTAdj",
)

#: Columns of the 2020-2026 BTC/ADA files that are not Coin Metrics fields (dropped).
NOT_COINMETRICS = ("NVT_Tx_Basis", "Activity_Velocity", "FearGreedValue", "ActiveStakeADA")

#: Community file stem -> asset symbol where the upper-cased stem is not the symbol.
FILE_ASSETS = {"bnb": "BNB", "bnb_mainnet": "BNB"}

#: Strictly positive fields (a 0 or negative value there is a defect of the file).
_POSITIVE = ("PriceUSD", "CapMrktCurUSD")


@dataclass(frozen=True)
class CoinMetricsFile:
    """One Coin Metrics CSV read strictly.

    Attributes
    ----------
    asset
        Symbol the file maps to (``BNB`` for both BNB files).
    path
        The file.
    frame
        Daily UTC index named ``timestamp``; float64 columns of
        :data:`COINMETRICS_FIELDS` present in the file.
    first_price
        First day with a ``PriceUSD`` (None when the file has none).
    notes
        What was dropped or left empty, e.g. missing fields, derived columns.
    """

    asset: str
    path: Path
    frame: pd.DataFrame
    first_price: pd.Timestamp | None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _days(values: pd.Series, path: Path) -> pd.DatetimeIndex:
    text = values.astype(str).str.slice(0, 10)
    ts = pd.to_datetime(text, format="%Y-%m-%d", utc=True, errors="coerce")
    if ts.isna().any():
        row = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise DataError(f"{path}: line {row + 2}: column 'time' holds {values.iloc[row]!r}; expected YYYY-MM-DD")
    idx = pd.DatetimeIndex(ts, name="timestamp")
    if idx.has_duplicates:
        row = int(np.flatnonzero(idx.duplicated())[0])
        raise DataError(f"{path}: line {row + 2}: duplicate day {idx[row].date()}")
    if not idx.is_monotonic_increasing:
        row = int(np.flatnonzero(np.diff(idx.asi8) < 0)[0]) + 1
        raise DataError(f"{path}: line {row + 2}: day {idx[row].date()} comes after {idx[row - 1].date()}; expected increasing days")
    return idx


def read_coinmetrics_csv(path: str | Path, asset: str | None = None) -> CoinMetricsFile:
    """Read one Coin Metrics CSV (any of the three layouts) strictly.

    Parameters
    ----------
    path
        ``<asset>.csv``, ``coinmetrics_<asset>.csv`` or ``<asset>_met.csv``.
    asset
        Symbol; default from the file name (``bnb_mainnet.csv`` -> ``BNB``,
        ``coinmetrics_btc.csv`` -> ``BTC``, ``aave_met.csv`` -> ``AAVE``).

    Raises
    ------
    DataError
        Naming the file and line: unreadable file, no ``time`` column, a date
        that is not YYYY-MM-DD, a duplicate or out-of-order day, a value that is
        not a number, a non-positive price or market cap, an ``asset`` column
        that disagrees with the file name.
    """
    path = Path(path)
    stem = path.stem.removeprefix("coinmetrics_").removesuffix("_met")
    asset = asset or FILE_ASSETS.get(stem, stem.upper())
    wanted = {"time", "asset", *COINMETRICS_FIELDS, *NOT_COINMETRICS}
    try:
        try:  # fast path: numbers parsed by the C reader; any bad value falls back to the strict text read
            raw = pd.read_csv(path, usecols=lambda c: c in wanted, dtype={c: "float64" for c in COINMETRICS_FIELDS},
                              keep_default_na=False, na_values=[""])
            raw["time"] = raw["time"].astype(str)
        except ValueError:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot read Coin Metrics CSV: {exc}") from exc
    if "time" not in raw.columns:
        raise DataError(f"{path}: line 1: no 'time' column; expected the Coin Metrics layout time,AdrActCnt,TxCnt,...")
    idx = _days(raw["time"], path)
    notes: list[str] = []
    if "asset" in raw.columns:
        other = raw["asset"].fillna("").str.upper() != asset
        if other.any():
            row = int(np.flatnonzero(other.to_numpy())[0])
            raise DataError(f"{path}: line {row + 2}: asset {raw['asset'].iloc[row]!r} in a file for {asset}")
    dropped = [c for c in raw.columns if c in NOT_COINMETRICS]
    if dropped:
        notes.append(f"dropped non-Coin-Metrics columns {dropped}")
    cols = {}
    for name in COINMETRICS_FIELDS:
        if name not in raw.columns:
            continue
        text = raw[name]
        vals = text if text.dtype == "float64" else pd.to_numeric(text, errors="coerce")
        bad = text.notna() & vals.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{path}: line {row + 2}: {name} holds {text.iloc[row]!r}; expected a number")
        if name in _POSITIVE and (vals <= 0).any():
            row = int(np.flatnonzero((vals <= 0).to_numpy())[0])
            raise DataError(f"{path}: line {row + 2}: {name} is {str(text.iloc[row])!r}; expected > 0 or empty")
        cols[name] = vals.to_numpy(dtype="float64")
    missing = [c for c in ("PriceUSD", "CapMrktCurUSD", "AdrActCnt", "TxCnt", "FeeTotUSD", "TxTfrValAdjUSD", "SplyCur") if c not in cols]
    if missing:
        notes.append(f"no {', '.join(missing)} in this file")
    frame = pd.DataFrame(cols, index=idx)
    first = frame["PriceUSD"].first_valid_index() if "PriceUSD" in frame else None
    if first is not None and first > idx[0]:
        notes.append(f"PriceUSD empty {idx[0].date()}..{(first - pd.Timedelta(days=1)).date()} (before Coin Metrics priced it): NaN")
    return CoinMetricsFile(asset, path, frame, first, tuple(notes))


def read_coinmetrics_sources(src: str | Path) -> dict[str, list[CoinMetricsFile]]:
    """Every Coin Metrics file under ``src`` (a ``../shared/data`` layout), per asset in precedence order.

    Precedence per asset: community CSV (``bnb_mainnet`` before ``bnb``), then
    the 2020-2026 snapshot, then the DeFi-token file.  Folders that do not
    exist are skipped; ``metrics.csv`` is the metric dictionary and skipped.
    """
    src = Path(src)
    out: dict[str, list[CoinMetricsFile]] = {}
    community = src / "onchain_coinmetrics_community"
    if community.is_dir():
        files = sorted(p for p in community.glob("*.csv") if p.name != "metrics.csv")
        files.sort(key=lambda p: (p.stem.split("_")[0], p.stem != "bnb_mainnet"))
        for p in files:
            f = read_coinmetrics_csv(p)
            out.setdefault(f.asset, []).append(f)
    for folder, pattern in (("onchain_coinmetrics_btc_ada_2020_2026", "coinmetrics_*.csv"), ("onchain_coinmetrics_defi_tokens", "*_met.csv")):
        d = src / folder
        if d.is_dir():
            for p in sorted(d.glob(pattern)):
                f = read_coinmetrics_csv(p)
                out.setdefault(f.asset, []).append(f)
    return out


def combine_coinmetrics(files: list[CoinMetricsFile]) -> tuple[pd.DataFrame, dict[str, object]]:
    """One frame per asset: each day from the first file (in precedence order) that has the day.

    A whole row is taken from one file (one source per asset-day).  Returns the
    frame and provenance ``{files: [{file, rows, used: first..last}], overlap_max_rel_diff: {field: x}}``
    (largest relative difference where a later file repeats a day of an earlier one).
    """
    combined: pd.DataFrame | None = None
    used: list[dict[str, object]] = []
    diffs: dict[str, float] = {}
    for f in files:
        fr = f.frame
        if combined is None:
            take = fr
        else:
            both = fr.index.intersection(combined.index)
            for c in fr.columns.intersection(combined.columns):
                a, b = combined.loc[both, c], fr.loc[both, c]
                ok = a.notna() & b.notna() & (a != 0)
                if ok.any():
                    rel = float(((b[ok] - a[ok]).abs() / a[ok].abs()).max())
                    diffs[c] = max(diffs.get(c, 0.0), rel)
            take = fr.loc[~fr.index.isin(combined.index)]
            combined = pd.concat([combined, take]).sort_index()
        if combined is None:
            combined = take
        if len(take):
            used.append({"file": str(f.path), "days": f"{take.index[0].date()}..{take.index[-1].date()}", "notes": list(f.notes)})
        else:
            used.append({"file": str(f.path), "days": "none (all days earlier in precedence)", "notes": list(f.notes)})
    assert combined is not None, "combine_coinmetrics needs at least one file"
    return combined, {"files": used, "overlap_max_rel_diff": {k: round(v, 9) for k, v in sorted(diffs.items())}}
