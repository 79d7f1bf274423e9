"""Point-in-time membership universes: the members of the latest snapshot known at the decision.

With ``universe.membership`` set, the candidates at ``as_of`` are the assets
(stable ids) of the latest CoinMarketCap snapshot with ``known_from <= as_of``
(:func:`indexer.data.sources.cmc_membership.members_at`), whether or not the coin
survived.  The usual screens (``exclude``, kinds, themes) apply, then the
``top_n`` best snapshot ranks are chosen.  A chosen member without a daily
close at ``as_of`` (or with fewer than ``min_history_days`` closes) is
*missing*; ``universe.missing_prices`` decides what its weight does:

* ``redistribute`` -- dropped; the optimiser weighs the priced members only, so
  the missing weight goes to them in proportion;
* ``cash`` -- its nominal weight is held as cash;
* ``snapshot_prices`` -- it is priced from the monthly snapshots
  (:func:`indexer.data.snapshot_prices.with_snapshot_prices` adds such
  members to the data before the backtest); a member with no snapshot price
  either is held as cash.

The nominal weights and the policy are applied by the strategy
(:mod:`indexer.strategy.missing_prices`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer.exceptions import DataError

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData
    from indexer.universe.spec import UniverseSpec

__all__ = ["MembershipResult", "membership_candidates"]


class MembershipResult:
    """Chosen members (best snapshot rank first), which are priced, which are missing, and the snapshot used."""

    def __init__(self, snapshot: pd.Timestamp | None, chosen: pd.DataFrame, priced: list[str], missing: list[dict[str, Any]]) -> None:
        self.snapshot, self.chosen, self.priced, self.missing = snapshot, chosen, priced, missing


def membership_candidates(data: MarketData, spec: UniverseSpec, screen: Any) -> MembershipResult:
    """Apply ``spec.membership`` at ``data``'s last bar.

    ``screen(asset) -> bool`` applies the exclude/kind/theme rules (and logs
    exclusions); it is called for every member of the snapshot in rank order.

    Raises
    ------
    DataError
        When ``data`` has no membership table of that name.
    """
    name = spec.membership
    table = data.membership.get(name) if data.membership and name is not None else None
    if table is None:
        have = ", ".join(data.membership) if data.membership else "none"
        raise DataError(
            f"universe.membership {name!r}: the data has no such membership table (has: {have}); "
            "import ../shared/data (cmc_top10_weekly/, coinbase_cmc/coinmarketcap_monthly_all_snapshots.csv)"
        )
    from indexer.data.sources.cmc_membership import members_at

    as_of = data.close.index[-1]
    snap = members_at(table, as_of)
    if snap.empty:
        return MembershipResult(None, snap, [], [])
    kept = snap[[bool(screen(a)) for a in snap["asset"]]]
    chosen = kept.head(spec.top_n) if spec.top_n is not None else kept
    close = data.close
    last = close.iloc[-1]
    priced, missing = [], []
    for row in chosen.itertuples(index=False):
        a = row.asset
        if a not in close.columns or not np.isfinite(last.get(a, np.nan)):
            reason = "no daily close at as_of" if a in close.columns else "no daily price history in the data"
        elif int(close[a].notna().sum()) < spec.min_history_days:
            reason = f"{int(close[a].notna().sum())} daily closes < min_history_days {spec.min_history_days}"
        else:
            priced.append(a)
            continue
        missing.append({"asset": a, "symbol": row.symbol, "name": row.name, "rank": int(row.rank), "reason": reason})
    return MembershipResult(snap["snapshot"].iloc[0], chosen, priced, missing)
