"""Daily closes and USD volumes from the public formats in ``../shared/data``.

Two sources:

* **Coinbase** daily OHLCV (``coinbase_top200_daily_*.csv``: date, symbol,
  base, open, high, low, close, volume in *base units*).  USD volume is
  estimated as ``volume x close``.
* **Yahoo-style** per-asset CSVs (``daily_ohlcv_usd/<ASSET>-USD_1d.csv``:
  Date, Close, High, Low, Open, Volume already in USD).

Merge rule (one source per asset-day, see :func:`merge_sources`): per asset the
*primary* source is the one with more bars since the universe start; the other
source only extends it before the primary's first bar or after its last bar,
and only when the join leaves no gap longer than ``max_gap`` bars.  Bars dated
on the day a file was captured are dropped as incomplete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from indexer.data.longformat import read_csv_text
from indexer.exceptions import DataError

__all__ = ["PriceFrame", "read_coinbase_daily", "read_yahoo_dir", "read_yahoo_csv", "merge_sources"]

_YAHOO_NAME = re.compile(r"^(?P<asset>[A-Z0-9]+)-USD_1d\.csv$")
_CAPTURE_TS = re.compile(r"_(\d{8})_(\d{6})\.csv$")


@dataclass(frozen=True)
class PriceFrame:
    """Wide close and USD-volume frames of one source (UTC daily index)."""

    source: str
    close: pd.DataFrame
    volume: pd.DataFrame
    files: tuple[str, ...]
    dropped_incomplete: dict[str, str]


def _utc_days(values: pd.Series, path: Path) -> pd.DatetimeIndex:
    try:
        idx = pd.to_datetime(values, utc=True, format="%Y-%m-%d")
    except (ValueError, TypeError):
        parsed = pd.to_datetime(values, utc=True, format="%Y-%m-%d", errors="coerce")
        bad = np.flatnonzero(parsed.isna().to_numpy())
        if len(bad):
            i = int(bad[0])
            raise DataError(f"{path}: line {int(values.index[i]) + 2}: date {values.iloc[i]!r} is not YYYY-MM-DD") from None
        raise DataError(f"{path}: cannot parse dates as YYYY-MM-DD") from None
    if idx.isna().any():
        i = int(np.flatnonzero(idx.isna())[0])
        raise DataError(f"{path}: line {int(values.index[i]) + 2}: missing date")
    return pd.DatetimeIndex(idx)


def _numeric(frame: pd.DataFrame, cols: list[str], path: Path) -> None:
    for c in cols:
        conv = pd.to_numeric(frame[c], errors="coerce")
        bad = frame[c].notna() & conv.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{path}: column {c!r} line {int(frame.index[row]) + 2} holds {frame[c].iloc[row]!r}; expected a number")
        vals = conv.astype("float64")
        low = vals <= 0 if c.lower() == "close" else vals < 0
        bad = ~np.isfinite(vals) & vals.notna() | low
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            want = "a finite number > 0" if c.lower() == "close" else "a finite number >= 0"
            raise DataError(f"{path}: column {c!r} line {int(frame.index[row]) + 2} holds {frame[c].iloc[row]!r}; expected {want}")
        frame[c] = vals


def read_coinbase_daily(path: str | Path) -> PriceFrame:
    """Read the Coinbase daily OHLCV file; USD volume = base volume x close.

    Only ``<BASE>/USD`` pairs are kept (e.g. ``EURC/USDC`` is skipped).  The
    capture day (from the file name ``..._YYYYMMDD_HHMMSS.csv``) is incomplete
    and dropped.
    """
    path = Path(path)
    raw = read_csv_text(path, "Coinbase daily OHLCV", dtype={"date": str, "symbol": str, "base": str},
                        keep_default_na=True, na_values=None)
    need = {"date", "symbol", "base", "close", "volume"}
    if missing := need - set(raw.columns):
        raise DataError(f"{path}: missing columns {sorted(missing)}; expected {sorted(need)}")
    raw = raw[raw["symbol"] == raw["base"] + "/USD"].copy()
    _numeric(raw, ["close", "volume"], path)
    raw["timestamp"] = _utc_days(raw["date"], path)
    dup = raw.duplicated(["timestamp", "base"])
    if dup.any():
        i = raw.index[dup.to_numpy()][0]
        r = raw.loc[i]
        raise DataError(f"{path}: line {i + 2}: duplicate row for asset {r['base']!r} on {r['date']}")
    dropped: dict[str, str] = {}
    m = _CAPTURE_TS.search(path.name)
    if m:
        cap = pd.Timestamp(m.group(1), tz="UTC")
        late = raw["timestamp"] >= cap
        if late.any():
            dropped["coinbase"] = f"bars on/after capture day {cap.date()} dropped as incomplete ({int(late.sum())} rows)"
            raw = raw[~late]
    raw["usd_volume"] = raw["volume"] * raw["close"]
    close = raw.pivot(index="timestamp", columns="base", values="close").sort_index()
    volume = raw.pivot(index="timestamp", columns="base", values="usd_volume").sort_index()
    return PriceFrame("coinbase", close, volume, (str(path),), dropped)


def read_yahoo_csv(path: str | Path, asset: str | None = None) -> pd.DataFrame:
    """One Yahoo-style ``<ASSET>-USD_1d.csv`` as a frame (timestamp index; close, volume USD)."""
    path = Path(path)
    if asset is None:
        m = _YAHOO_NAME.match(path.name)
        asset = m.group("asset") if m else path.stem.split("-")[0].upper()
    raw = read_csv_text(path, "Yahoo-style CSV", dtype={"Date": str}, keep_default_na=True, na_values=None)
    need = {"Date", "Close", "Volume"}
    if missing := need - set(raw.columns):
        raise DataError(f"{path}: missing columns {sorted(missing)}; expected Date, Open, High, Low, Close, Volume")
    _numeric(raw, ["Close", "Volume"], path)
    out = pd.DataFrame(
        {"close": raw["Close"].to_numpy(), "volume": raw["Volume"].to_numpy()},
        index=_utc_days(raw["Date"].str.slice(0, 10), path),
    )
    out.index.name = "timestamp"
    back = np.flatnonzero(out.index[1:] < out.index[:-1])
    if len(back):
        i = int(back[0]) + 1
        raise DataError(
            f"{path}: line {i + 2}: date {out.index[i].date()} for asset {asset!r} comes after "
            f"{out.index[i - 1].date()} (line {i + 1}); rows must be in increasing date order"
        )
    out.attrs["asset"] = asset
    return out


def read_yahoo_dir(directory: str | Path, *, capture_day: str | None = "latest") -> PriceFrame:
    """All ``<ASSET>-USD_1d.csv`` files of a directory.

    ``capture_day``: bars on or after this UTC day are dropped as incomplete.
    ``"latest"`` (default) takes the newest date found in the directory as the
    day of the download (2025-02-11 for the reference copy); ``None`` keeps all.
    """
    directory = Path(directory)
    files = sorted(p for p in directory.glob("*-USD_1d.csv") if _YAHOO_NAME.match(p.name))
    if not files:
        raise DataError(f"{directory}: no <ASSET>-USD_1d.csv files found")
    closes, vols, dropped = {}, {}, {}
    frames = [read_yahoo_csv(f) for f in files]
    if capture_day == "latest":
        cap = max(fr.index.max() for fr in frames if len(fr))
    else:
        cap = pd.Timestamp(capture_day, tz="UTC") if capture_day else None
    for f, frame in zip(files, frames, strict=True):
        asset = frame.attrs["asset"]
        if frame.index.has_duplicates:
            row = int(np.flatnonzero(frame.index.duplicated())[0])
            raise DataError(f"{f}: duplicate date {frame.index[row].date()} at line {row + 2} for asset {asset!r}")
        if cap is not None and (frame.index >= cap).any():
            dropped[asset] = f"bars on/after capture day {cap.date()} dropped as incomplete"
            frame = frame[frame.index < cap]
        closes[asset], vols[asset] = frame["close"], frame["volume"]
    close = pd.DataFrame(closes).sort_index()
    volume = pd.DataFrame(vols).sort_index()
    return PriceFrame("yahoo", close, volume, tuple(map(str, files)), dropped)


def _span(col: pd.Series) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    return col.first_valid_index(), col.last_valid_index()


def merge_sources(
    primary_candidates: list[PriceFrame], *, start: pd.Timestamp, max_gap: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, dict]]:
    """Merge price sources, one source per asset-day (see module docstring).

    Returns wide ``close``, ``volume`` (USD) on a full daily UTC index from the
    earliest bar, and per-asset provenance ``{asset: {primary, days: {source: n},
    extended: [...], ignored: [...]}}``.
    """
    first = min(f.close.index.min() for f in primary_candidates)
    last = max(f.close.index.max() for f in primary_candidates)
    index = pd.date_range(first, last, freq="D", tz="UTC", name="timestamp")
    assets = sorted(set().union(*(f.close.columns for f in primary_candidates)))
    close = pd.DataFrame(np.nan, index=index, columns=pd.Index(assets, name="asset"))
    volume = close.copy()
    prov: dict[str, dict] = {}
    for asset in assets:
        frames = [f for f in primary_candidates if asset in f.close.columns]
        counts = {f.source: int(f.close[asset].loc[start:].notna().sum()) for f in frames}
        frames.sort(key=lambda f: (-counts[f.source], f.source))
        prim = frames[0]
        c = prim.close[asset].reindex(index)
        v = prim.volume[asset].reindex(index)
        info: dict = {"primary": prim.source, "days": {prim.source: int(c.notna().sum())}, "extended": [], "ignored": []}
        for other in frames[1:]:
            oc = other.close[asset].reindex(index)
            ov = other.volume[asset].reindex(index)
            lo, hi = _span(c)
            used = 0
            for side, mask in (("before", index < lo), ("after", index > hi)):
                cand = oc.where(mask).dropna()
                if cand.empty:
                    continue
                edge = cand.index[-1] if side == "before" else cand.index[0]
                gap = abs((lo - edge).days if side == "before" else (edge - hi).days) - 1
                if gap > max_gap:
                    info["ignored"].append(f"{other.source} {side} {prim.source}: gap of {gap} days > {max_gap}")
                    continue
                c = c.where(~mask, oc)
                v = v.where(~mask, ov)
                used += len(cand)
                info["extended"].append(f"{other.source} {side} {prim.source}: {cand.index[0].date()}..{cand.index[-1].date()}")
            if used:
                info["days"][other.source] = used
            inside = int(oc[(index >= lo) & (index <= hi)].notna().sum())
            if inside:
                info["ignored"].append(f"{other.source}: {inside} bars inside the {prim.source} range not used")
        close[asset], volume[asset] = c, v
        prov[asset] = info
    return close, volume, prov
