"""Daily closes and USD volumes of the reference data: one price source per asset-day, trimmed, extended, validated.

A step of :func:`indexer.data.reference_data.import_reference`, which builds the other panels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from indexer.data.panel import longest_gap, validate_panel
from indexer.data.reference_history import extend_prices
from indexer.data.sources.daily_prices import merge_sources, read_coinbase_daily, read_yahoo_dir
from indexer.exceptions import DataError

__all__ = ["REFERENCE_START", "PRIMARY_COUNT_START", "PRICE_MAX_GAP", "MIN_HISTORY_DAYS", "Prices", "build_prices",
           "price_end_notes", "find_file"]

#: First day of the default reference view (UTC).
REFERENCE_START = pd.Timestamp("2017-01-01", tz="UTC")
#: Bars since this day decide which daily price file is an asset's primary source.
PRIMARY_COUNT_START = pd.Timestamp("2020-01-01", tz="UTC")
#: Longest run of missing daily bars allowed inside an asset's listed period (close, volume).
PRICE_MAX_GAP = 3
#: Assets with fewer daily closes since REFERENCE_START are dropped (about two years).
MIN_HISTORY_DAYS = 730


def _trim_fragments(col: pd.Series, max_gap: int) -> tuple[pd.Series, str | None]:
    """Keep the latest contiguous run (no gap > max_gap); drop older fragments explicitly."""
    gap, start = longest_gap(col)
    if gap <= max_gap:
        return col, None
    valid = col.dropna()
    breaks = np.flatnonzero((valid.index[1:] - valid.index[:-1]) > pd.Timedelta(days=max_gap + 1))
    keep_from = valid.index[breaks[-1] + 1]
    dropped = valid.loc[: keep_from - pd.Timedelta(days=1)]
    note = (
        f"dropped {len(dropped)} bars {dropped.index[0].date()}..{dropped.index[-1].date()} "
        f"before a gap of more than {max_gap} days (kept from {keep_from.date()})"
    )
    return col.where(col.index >= keep_from), note


def find_file(src: Path, pattern: str) -> Path | None:
    """Return the last (by name, so the newest dated) file under ``src`` matching ``pattern``; ``None`` if none."""
    hits = sorted(src.glob(pattern))
    return hits[-1] if hits else None


def price_end_notes(close: pd.DataFrame, frames: list, snaps: pd.DataFrame | None) -> dict[str, str]:
    """Assets whose daily closes stop more than 7 days before the last bar: which source lacks what."""
    end = close.index[-1]
    notes = {}
    for a in close.columns:
        last = close[a].last_valid_index()
        if last is None or (end - last).days <= 7:
            continue
        parts = []
        for f in frames:
            later = f.close[a].loc[last + pd.Timedelta(days=1):].dropna() if a in f.close.columns else pd.Series(dtype=float)
            parts.append(f"{f.source} daily: " + (f"{len(later)} bars {later.index[0].date()}..{later.index[-1].date()} "
                                                   f"(not joinable: gap > {PRICE_MAX_GAP} days)" if len(later) else "no bars after it"))
        if snaps is not None:
            s = snaps[(snaps["symbol"] == a) & (snaps["snapshot"] > last)]
            parts.append(f"CoinMarketCap monthly: {len(s)} snapshot prices to {s['snapshot'].max().date()} "
                         "(used only by universe.missing_prices: snapshot_prices)" if len(s) else "CoinMarketCap monthly: none")
        notes[a] = f"daily closes end {last.date()}; " + "; ".join(parts)
    return notes


@dataclass
class Prices:
    """Merged, trimmed and validated closes / USD volumes with what the merge decided per asset."""

    close: pd.DataFrame
    volume: pd.DataFrame
    frames: list  # the raw per-source price frames (for their files and capture-day notes)
    provenance: dict[str, Any]
    coinmetrics_notes: dict[str, str]
    dropped: dict[str, str]
    repairs: dict[str, str]


def _read_price_files(src: Path) -> list:
    """Return the Coinbase and Yahoo-style daily price frames found in ``src`` (at least one, else DataError)."""
    cb_file = find_file(src, "coinbase_cmc/coinbase_top200_daily_*.csv")
    frames = []
    if cb_file is not None:
        frames.append(read_coinbase_daily(cb_file))
    if (src / "daily_ohlcv_usd").is_dir():
        frames.append(read_yahoo_dir(src / "daily_ohlcv_usd"))
    if not frames:
        raise DataError(
            f"{src}: no price files found (expected coinbase_cmc/coinbase_top200_daily_*.csv "
            "or daily_ohlcv_usd/<ASSET>-USD_1d.csv); run `indexer data fetch` instead"
        )
    return frames


def build_prices(src: Path, cm: Any) -> Prices:
    """One price source per asset-day, trimmed fragments, Coin Metrics extension, short histories dropped."""
    frames = _read_price_files(src)
    close, volume, price_prov = merge_sources(frames, start=PRIMARY_COUNT_START, max_gap=PRICE_MAX_GAP)
    repairs: dict[str, str] = {}
    for asset in list(close.columns):
        col, note = _trim_fragments(close[asset], PRICE_MAX_GAP)
        if note:
            repairs[asset] = note
            close[asset] = col
            volume[asset] = volume[asset].where(col.notna())
    close, volume, cm_price_notes, cm_days = extend_prices(close, volume, cm.field("PriceUSD"), max_gap=PRICE_MAX_GAP)
    for a, n in cm_days.items():
        price_prov[a]["days"]["coinmetrics"] = n
        price_prov[a]["extended"].append(cm_price_notes[a])
    dropped: dict[str, str] = {}
    for asset in list(close.columns):
        n = int(close[asset].loc[REFERENCE_START:].notna().sum())
        if n < MIN_HISTORY_DAYS:
            dropped[asset] = f"{n} daily closes since {REFERENCE_START.date()} < {MIN_HISTORY_DAYS} required"
    kept = [a for a in close.columns if a not in dropped]
    close, volume = close[kept], volume[kept]
    first = close.apply(pd.Series.first_valid_index).min()
    close, volume = close.loc[first:], volume.loc[first:]
    volume = volume.where(close.notna())

    close = validate_panel(close, source=f"{src} (merged closes)", field="close", max_gap=PRICE_MAX_GAP)
    volume = validate_panel(volume, source=f"{src} (merged volumes)", field="volume", positive=False, max_gap=PRICE_MAX_GAP)
    neg = (volume < 0).any()
    if neg.any():
        raise DataError(f"{src}: negative volume for asset {neg[neg].index[0]!r}")
    return Prices(close, volume, frames, price_prov, cm_price_notes, dropped, repairs)
