"""The ``universe.missing_prices`` policy: what the weight of a member without daily prices does.

Applied by :func:`indexer.strategy.pipeline.base_portfolio` after the optimiser
weighed the priced members (see :mod:`indexer.universe.membership`):

* ``redistribute`` -- nothing to do: the priced members already share 100 %;
* ``cash`` and ``snapshot_prices`` -- the missing members' nominal weight is
  moved to CASH and the rest scaled down by the same amount.  With
  ``snapshot_prices`` members priced from the snapshots are not missing (the
  backtest adds their snapshot prices); only members without any price land here.

The nominal weight of a chosen member is its weight under the strategy's
objective on the snapshot's market caps when the objective is ``market_cap``
(``power`` and ``max_weight`` applied, by water-filling), else ``1 / n``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from indexer._typing import CASH
from indexer.optimiser.closed_form import cap_weights
from indexer.strategy.spec import StrategySpec

__all__ = ["nominal_weights", "apply_missing_prices"]


def nominal_weights(chosen: pd.DataFrame, objective: str, power: float = 1.0, max_weight: float | None = None) -> pd.Series:
    """Nominal weights (fractions summing to 1) of the chosen members, indexed by asset id."""
    if chosen.empty:
        return pd.Series(dtype="float64")
    assets = chosen["asset"].tolist()
    mc = chosen["market_cap"].to_numpy(dtype="float64")
    if objective == "market_cap" and np.isfinite(mc).all() and (mc > 0).all():
        cap = float(max_weight) if max_weight else 1.0
        w = cap_weights(mc ** float(power), cap if cap * len(mc) >= 1.0 else 1.0)
    else:
        w = np.full(len(assets), 1.0 / len(assets))
    return pd.Series(w, index=assets, dtype="float64")


def apply_missing_prices(spec: StrategySpec, weights: pd.Series, membership: dict[str, Any]) -> tuple[pd.Series, dict[str, Any]]:
    """Apply the policy to ``weights`` (incl. CASH); return new weights and the ``membership`` diagnostics.

    Diagnostics: ``source``, ``snapshot``, ``snapshot_age_days`` (days from the
    snapshot's date to the decision; the weekly series ends 2024-12-01, later
    decisions reuse it), ``missing_prices`` (policy),
    ``members`` (chosen ids), ``missing`` (each with its ``nominal_weight``),
    ``missing_weight`` (sum of their nominal weights) and ``to_cash`` (weight
    moved to CASH by the policy).
    """
    u, o = spec.universe, spec.optimiser
    chosen = membership["chosen"]
    power = o.param("power") if o.objective == "market_cap" else 1.0
    max_w = o.param("max_weight") if o.objective == "market_cap" else None
    nominal = nominal_weights(chosen, o.objective, power, max_w)
    missing = [{**m, "nominal_weight": float(nominal.get(m["asset"], 0.0))} for m in membership["missing"]]
    share = float(sum(m["nominal_weight"] for m in missing))
    to_cash = share if (u.missing_prices in ("cash", "snapshot_prices") and missing) else 0.0
    w = weights.astype("float64").copy()
    if to_cash > 0:
        if share >= 1.0 - 1e-12:
            w = pd.Series({CASH: 1.0})
        else:
            w = w * (1.0 - to_cash)
            w[CASH] = float(w.get(CASH, 0.0)) + to_cash
    diag = {
        "source": membership["source"],
        "snapshot": membership["snapshot"],
        "snapshot_age_days": membership.get("snapshot_age_days"),
        "missing_prices": u.missing_prices,
        "members": chosen["asset"].tolist() if len(chosen) else [],
        "missing": missing,
        "missing_weight": share,
        "to_cash": to_cash,
    }
    return w, diag
