"""Daily market capitalisations (USD) from the public formats in ``../shared/data``.

Rule per asset-day (recorded in provenance):

1. ``daily_calculated_market_cap_clean.csv`` (date, base, market_cap) where it
   has the day;
2. otherwise a point-in-time estimate ``close x circulating supply`` of the
   latest CoinMarketCap monthly snapshot dated on or before that day (never a
   later snapshot), if that snapshot is at most ``max_snapshot_age`` days old;
3. otherwise NaN.  Market caps are NaN wherever the close is NaN.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from indexer.data.longformat import read_csv_text
from indexer.exceptions import DataError

__all__ = ["read_daily_market_caps", "read_cmc_snapshots", "build_market_cap", "snapshot_names", "MAX_SNAPSHOT_AGE"]

#: Oldest CoinMarketCap snapshot (days) still used for the supply estimate.
MAX_SNAPSHOT_AGE = 62


def read_daily_market_caps(path: str | Path) -> pd.DataFrame:
    """Wide daily market caps (USD) from ``date, base, market_cap[, symbol]``."""
    path = Path(path)
    try:
        raw = read_csv_text(path, "daily market caps CSV", dtype={"date": str, "base": str}, keep_default_na=True, na_values=None)
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read daily market caps: {exc}") from exc
    if missing := {"date", "base", "market_cap"} - set(raw.columns):
        raise DataError(f"{path}: missing columns {sorted(missing)}; expected date, base, market_cap")
    raw["market_cap"] = pd.to_numeric(raw["market_cap"], errors="coerce")
    raw["timestamp"] = pd.to_datetime(raw["date"], utc=True, format="%Y-%m-%d")
    raw = raw[raw["market_cap"] > 0]
    dup = raw.duplicated(["timestamp", "base"])
    if dup.any():
        r = raw[dup].iloc[0]
        raise DataError(f"{path}: duplicate market cap for asset {r['base']!r} on {r['date']}")
    return raw.pivot(index="timestamp", columns="base", values="market_cap").sort_index()


def read_cmc_snapshots(path: str | Path) -> pd.DataFrame:
    """CoinMarketCap monthly snapshots as a long frame (snapshot, symbol, name, rank, supply, market_cap, price).

    Where a symbol appears twice in one snapshot the better-ranked row wins.
    """
    path = Path(path)
    try:
        raw = read_csv_text(path, "CoinMarketCap snapshots CSV", dtype={"Symbol": str, "Name": str, "snapshot_date": str}, keep_default_na=True, na_values=None)
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read CoinMarketCap snapshots: {exc}") from exc
    need = {"Rank", "Name", "Symbol", "Market Cap", "Price", "Circulating Supply", "snapshot_date"}
    if missing := need - set(raw.columns):
        raise DataError(f"{path}: missing columns {sorted(missing)}")
    out = pd.DataFrame(
        {
            "snapshot": pd.to_datetime(raw["snapshot_date"], format="%Y%m%d", utc=True),
            "symbol": raw["Symbol"].str.strip(),
            "name": raw["Name"],
            "rank": pd.to_numeric(raw["Rank"], errors="coerce"),
            "supply": pd.to_numeric(raw["Circulating Supply"], errors="coerce"),
            "market_cap": pd.to_numeric(raw["Market Cap"], errors="coerce"),
            "price": pd.to_numeric(raw["Price"], errors="coerce"),
        }
    )
    out = out.sort_values(["snapshot", "rank"]).drop_duplicates(["snapshot", "symbol"], keep="first")
    return out.reset_index(drop=True)


def build_market_cap(
    close: pd.DataFrame,
    daily: pd.DataFrame,
    snapshots: pd.DataFrame,
    *,
    max_snapshot_age: int = MAX_SNAPSHOT_AGE,
) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Market-cap panel aligned to ``close`` (rule in the module docstring) and per-asset provenance."""
    index, assets = close.index, close.columns
    supply = snapshots[snapshots["supply"] > 0].pivot(index="snapshot", columns="symbol", values="supply")
    supply = supply.reindex(columns=[a for a in assets if a in supply.columns])
    full = supply.index.union(index)
    supply_daily = supply.reindex(full).ffill(limit=max_snapshot_age).reindex(index)
    daily = daily.reindex(index=index, columns=assets)
    est = close * supply_daily.reindex(columns=assets)
    mcap = daily.where(daily.notna(), est).where(close.notna())
    prov: dict[str, dict] = {}
    for a in assets:
        n_daily = int((daily[a].notna() & close[a].notna()).sum())
        n_est = int((daily[a].isna() & est[a].notna() & close[a].notna()).sum())
        prov[a] = {"daily_calculated": n_daily, "cmc_supply_estimate": n_est, "missing": int((close[a].notna() & mcap[a].isna()).sum())}
    mcap.columns.name = "asset"
    return mcap.astype("float64"), prov


def snapshot_names(snapshots: pd.DataFrame) -> dict[str, str]:
    """Latest CoinMarketCap display name per symbol."""
    last = snapshots.sort_values("snapshot").drop_duplicates("symbol", keep="last")
    return dict(zip(last["symbol"], last["name"].astype(str), strict=True))

