"""Snapshot prices: price index members from the monthly CoinMarketCap snapshots alone.

For ``universe.missing_prices: snapshot_prices`` (monthly-rebalanced indices):
an asset id of the ``cmc_monthly_top200`` table gets a step price series,
constant from one snapshot's ``known_from`` day to the next:

* where the id is in the latest known snapshot, its price is that snapshot's price;
* where it is absent (it left the top 200, e.g. Terra in June-September 2022),
  the gap takes the price of its next appearance (Terra Classic at 0.00033 USD
  in October 2022): a position that could not be traded is valued at the first
  price observed after it.  This is the one place a later observation is used;
  it only values exits, since an absent id is not a member and no decision
  ranks it.  An id that never reappears keeps NaN after its last snapshot.

:func:`with_snapshot_prices` adds such series for ids without daily closes and
extends daily closes that stop (e.g. the assets whose Yahoo-style files end
2025-02-10) after their last bar.  Volumes stay NaN on snapshot-priced days.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexer.data.panel import validate_panel

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["snapshot_price_panel", "with_snapshot_prices"]


def snapshot_price_panel(table: pd.DataFrame, index: pd.DatetimeIndex, assets: list[str]) -> pd.DataFrame:
    """Step prices (USD) of ``assets`` on ``index`` from a membership table with prices (rules above)."""
    t = table[table["asset"].isin(assets) & (table["price"] > 0)]
    known = sorted(table["known_from"].unique())
    wide = t.pivot_table(index="known_from", columns="asset", values="price", aggfunc="first").reindex(known)
    out = {}
    for a in assets:
        if a not in wide.columns:
            continue
        s = wide[a]
        seen = s.notna().to_numpy()
        if not seen.any():
            continue
        first = int(np.flatnonzero(seen)[0])
        s = s.iloc[first:].bfill()  # gaps take the next appearance; trailing NaN (never seen again) stays NaN
        last_seen = s.last_valid_index()
        daily = s.reindex(s.index.union(index)).ffill().reindex(index)
        tail = [k for k in known if k > last_seen]
        if tail:  # after the last appearance the id has no price
            daily[daily.index >= tail[0]] = np.nan
        out[a] = daily
    return pd.DataFrame(out, index=index, dtype="float64").rename_axis(columns="asset")


def with_snapshot_prices(data: MarketData, membership: str = "cmc_monthly_top200", max_rank: int | None = None) -> MarketData:
    """Return ``data`` plus snapshot-priced closes for member ids lacking daily prices (see module docstring).

    Parameters
    ----------
    membership
        Membership table with prices (``cmc_monthly_top200``).
    max_rank
        Only ids that ranked at least this well in some snapshot (``None``: all).

    Returns
    -------
    MarketData
        New columns for ids without daily closes; existing columns extended
        after their last daily close; provenance ``snapshot_prices`` lists both.
    """
    table = data.membership[membership]
    if max_rank is not None:
        table = table[table["asset"].isin(table.loc[table["rank"] <= max_rank, "asset"].unique())]
    ids = list(dict.fromkeys(table["asset"]))
    steps = snapshot_price_panel(table, data.close.index, ids)
    close = data.close.copy()
    added = [a for a in steps.columns if a not in close.columns]
    extended = {}
    for a in steps.columns:
        if a in added:
            continue
        last = close[a].last_valid_index()
        after = steps[a].where(steps.index > last).dropna() if last is not None else steps[a].dropna()
        if len(after):
            close.loc[after.index, a] = after
            extended[a] = f"{after.index[0].date()}..{after.index[-1].date()}"
    close = pd.concat([close, steps[added]], axis=1).dropna(axis=1, how="all")
    added = [a for a in added if a in close.columns]
    close = validate_panel(close, source=f"close with {membership} snapshot prices", max_gap=None)
    cols = close.columns
    grow = lambda p: None if p is None else p.reindex(columns=cols)  # noqa: E731
    prov = dict(data.provenance)
    prov["snapshot_prices"] = {"membership": membership, "added": added, "extended": extended}
    return replace(
        data,
        close=close,
        volume=grow(data.volume),
        market_cap=grow(data.market_cap),
        metrics={k: v.reindex(columns=cols) for k, v in data.metrics.items()},
        provenance=prov,
    )
