"""Point-in-time membership in a backtest: the members it could not hold and the collapsed coins it held."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from indexer.data.registry import default_registry

if TYPE_CHECKING:  # pragma: no cover
    from indexer.backtesting.result import BacktestResult

__all__ = ["unholdable_members", "collapsed_held"]


def unholdable_members(res: BacktestResult) -> pd.DataFrame:
    """Members chosen at some decision but lacking daily prices, one row per asset id.

    Columns: ``name``, ``decisions`` (how many), ``first``/``last`` (decision
    dates, UTC), ``max_nominal_weight`` and ``mean_nominal_weight`` (fractions),
    ``policy``, ``reason`` (of the last decision).  Empty without ``universe.membership``.
    """
    rows: dict[str, dict] = {}
    for tp in res.targets:
        m = tp.diagnostics.get("membership") or {}
        for x in m.get("missing") or []:
            r = rows.setdefault(x["asset"], {"name": x["name"], "decisions": 0, "first": tp.as_of, "weights": [], "policy": m.get("missing_prices")})
            r["decisions"] += 1
            r["last"] = tp.as_of
            r["weights"].append(float(x.get("nominal_weight", 0.0)))
            r["reason"] = x.get("reason")
    out = pd.DataFrame(
        [{"asset": a, "name": r["name"], "decisions": r["decisions"], "first": r["first"], "last": r["last"],
          "max_nominal_weight": max(r["weights"]), "mean_nominal_weight": sum(r["weights"]) / len(r["weights"]),
          "policy": r["policy"], "reason": r["reason"]} for a, r in rows.items()]  # fmt: skip
    )
    return out.sort_values("max_nominal_weight", ascending=False).reset_index(drop=True) if len(out) else out


def collapsed_held(res: BacktestResult, registry=None) -> pd.DataFrame:  # noqa: ANN001 - AssetRegistry
    """Assets tagged ``collapsed`` in the registry (Terra, TerraUSD, FTX Token, ...) that the backtest held.

    Columns: ``first``/``last`` (decision dates with a target weight > 0) and ``max_weight``.
    """
    reg = registry or default_registry()
    w = res.weights
    rows = []
    for a in w.columns:
        if "collapsed" not in reg.themes(a):
            continue
        held = w[a][w[a] > 1e-9]
        if len(held):
            rows.append({"asset": a, "name": reg[a].name, "first": held.index[0], "last": held.index[-1], "max_weight": float(held.max())})
    return pd.DataFrame(rows, columns=["asset", "name", "first", "last", "max_weight"])
