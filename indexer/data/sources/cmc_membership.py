"""Point-in-time index membership from CoinMarketCap snapshots, keyed by stable asset ids.

Two snapshot series (see ``../shared/data/SOURCES.md``):

* ``cmc_monthly_top200`` -- ``coinbase_cmc/coinmarketcap_monthly_all_snapshots.csv``,
  the top 200 on the 1st of each month 2020-01..2025-10, with rank, price,
  market cap and circulating supply (so members can be priced from snapshots);
* ``cmc_weekly_top10`` -- ``cmc_top10_weekly/cmc_top10_weekly_2013_2024.csv``,
  the top 10 every Sunday 2013-04-28..2024-12-01 (rank, name, symbol, market cap).

Both include coins that later died (Terra, TerraUSD, FTX Token, BitConnect, ...).

Each row's ``asset`` is the registry id of the ticker on the snapshot day
(:meth:`~indexer.data.registry.AssetRegistry.resolve`: ``LUNA`` in 2021 is
``LUNC``, Terra Classic); a ticker the registry does not know keeps its ticker
as id (``in_registry`` False).  Where two rows of one snapshot map to the same
id (``MATIC`` and ``POL`` in 2024-2025) the better-ranked row is kept.

Publication rule: a snapshot dated D reports that day's values, known at its
end, so it is usable by decisions from D + :data:`SNAPSHOT_LAG_DAYS` on
(column ``known_from``).  :func:`members_at` returns the latest snapshot with
``known_from <= as_of``; :meth:`MarketData.until` drops later snapshots.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from indexer.data.registry import AssetRegistry
from indexer.exceptions import DataError

__all__ = [
    "MEMBERSHIPS",
    "SNAPSHOT_LAG_DAYS",
    "MEMBERSHIP_COLUMNS",
    "read_cmc_weekly_top10",
    "membership_table",
    "members_at",
]

#: Membership sources a universe may name (``universe.membership``).
MEMBERSHIPS = ("cmc_monthly_top200", "cmc_weekly_top10")
#: Days after its date at which a snapshot becomes known to decisions.
SNAPSHOT_LAG_DAYS = 1
#: Columns of a membership table.
MEMBERSHIP_COLUMNS = ("snapshot", "known_from", "rank", "asset", "symbol", "name", "market_cap", "price", "supply", "in_registry")


def read_cmc_weekly_top10(path: str | Path) -> pd.DataFrame:
    """Read the weekly top-10 file as ``snapshot, rank, name, symbol, market_cap`` (USD).

    Raises
    ------
    DataError
        Naming the file and line: missing columns, a ``date`` that is not
        YYYY-MM-DD or disagrees with its year/month/day columns, a rank outside
        1..10 or repeated within a week, an empty symbol, a market cap that is
        not a positive number.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot read weekly top-10 snapshots: {exc}") from exc
    need = ["date", "year", "month", "day", "rank", "name", "symbol", "marketCap"]
    if missing := [c for c in need if c not in raw.columns]:
        raise DataError(f"{path}: line 1: missing columns {missing}; expected {need}")

    def fail(mask: np.ndarray, what: str) -> None:
        if mask.any():
            row = int(np.flatnonzero(mask)[0])
            raise DataError(f"{path}: line {row + 2}: {what} (row {raw.iloc[row].to_dict()})")

    snap = pd.to_datetime(raw["date"], format="%Y-%m-%d", utc=True, errors="coerce")
    fail(snap.isna().to_numpy(), "date is not YYYY-MM-DD")
    ymd = pd.to_datetime(
        raw["year"] + "-" + raw["month"].str.zfill(2) + "-" + raw["day"].str.zfill(2), format="%Y-%m-%d", utc=True, errors="coerce"
    )
    fail((ymd != snap).to_numpy(), "date disagrees with its year/month/day columns")
    rank = pd.to_numeric(raw["rank"], errors="coerce")
    fail((~rank.between(1, 10)).to_numpy(), "rank is not a number in 1..10")
    fail(pd.DataFrame({"s": snap, "r": rank}).duplicated().to_numpy(), "rank repeated within one week")
    sym = raw["symbol"].str.strip().str.upper()
    fail((sym == "").to_numpy(), "empty symbol")
    cap = pd.to_numeric(raw["marketCap"], errors="coerce")
    fail(~(cap > 0).to_numpy(), "marketCap is not a positive number")
    return pd.DataFrame(
        {"snapshot": snap, "rank": rank.astype("int64"), "name": raw["name"].str.strip(), "symbol": sym, "market_cap": cap.astype("float64")}
    ).sort_values(["snapshot", "rank"], kind="stable").reset_index(drop=True)


def membership_table(snapshots: pd.DataFrame, registry: AssetRegistry, *, lag_days: int = SNAPSHOT_LAG_DAYS) -> pd.DataFrame:
    """Snapshots (``snapshot, rank, symbol, name, market_cap[, price, supply]``) mapped to stable ids.

    Returns the :data:`MEMBERSHIP_COLUMNS` frame, sorted by snapshot and rank.
    """
    df = snapshots.copy()
    for c in ("price", "supply"):
        if c not in df.columns:
            df[c] = np.nan
    days = {t: t.date() for t in df["snapshot"].unique()}
    ids = [registry.resolve(s, days[d]) for s, d in zip(df["symbol"], df["snapshot"], strict=True)]
    df["in_registry"] = [i is not None for i in ids]
    df["asset"] = [i if i is not None else s for i, s in zip(ids, df["symbol"], strict=True)]
    df["known_from"] = df["snapshot"] + pd.Timedelta(days=lag_days)
    df = df.sort_values(["snapshot", "rank"], kind="stable").drop_duplicates(["snapshot", "asset"], keep="first")
    df["rank"] = df["rank"].astype("float64")
    return df[list(MEMBERSHIP_COLUMNS)].reset_index(drop=True)


def members_at(table: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Rows of the latest snapshot known at ``as_of`` (``known_from <= as_of``), best rank first; empty if none."""
    known = table[table["known_from"] <= as_of]
    if known.empty:
        return known
    return known[known["snapshot"] == known["snapshot"].max()].sort_values("rank", kind="stable")
