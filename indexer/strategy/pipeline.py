"""The pre-overlay part of a decision: universe -> signals -> optimiser, on point-in-time data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer._typing import CASH
from indexer.optimiser import WeighContext, solve
from indexer.optimiser.closed_form import NATIVE_SETTINGS
from indexer.optimiser.objectives import objective, objective_names
from indexer.strategy.missing_prices import apply_missing_prices
from indexer.strategy.spec import StrategySpec
from indexer.universe import latest_cap_values, select_universe

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["base_portfolio", "RETURNS_OBJECTIVES", "VOLUME_WINDOW", "needs_returns", "reads_returns"]

#: Built-in objectives (and fallbacks) that need a returns window with >= 2 observations per asset:
#: the one closed form that reads returns, and every convex objective (registered ones say so in ``reads``).
RETURNS_OBJECTIVES = tuple(n for n in objective_names() if "returns" in objective(n).reads)
#: Bars averaged for the volume given to the optimiser's liquidity cap.
VOLUME_WINDOW = 30


def needs_returns(spec: StrategySpec) -> bool:
    """Whether the optimiser (or a fallback) reads the returns window."""
    o = spec.optimiser
    return "returns" in o.definition.reads or any(f in RETURNS_OBJECTIVES for f in o.fallback)


def reads_returns(spec: StrategySpec) -> bool:
    """Whether a decision's optimiser call may read the returns window.

    The objective or a fallback reads it (:func:`needs_returns`), or a solver or projection runs (convex
    objectives, penalties, constraints a closed form does not honour itself); a plain closed form does not.
    """
    o = spec.optimiser
    if needs_returns(spec) or not o.is_closed_form or o.penalties.any:
        return True
    return any(k not in NATIVE_SETTINGS for k in o.constraints.active())


def _returns_window(pit: MarketData, assets: list[str], window: int, pos: np.ndarray) -> pd.DataFrame:
    """Return daily simple returns of ``assets`` (at column positions ``pos``) over the last ``window`` bars.

    As ``pct_change(fill_method=None)``; rows first.
    """
    close = pit.close
    v = close.to_numpy(dtype="float64")[-(window + 1):, pos]
    r = np.full(v.shape, np.nan)
    r[1:] = v[1:] / v[:-1] - 1.0
    return pd.DataFrame(r[-window:], index=close.index[-(window + 1):][-window:],
                        columns=pd.Index(assets, name=close.columns.name))  # fmt: skip


def base_portfolio(
    spec: StrategySpec, pit: MarketData, previous: pd.Series | None = None
) -> tuple[pd.Series, dict[str, Any]]:
    """Weights (incl. CASH) before overlays at ``pit``'s last bar, and their diagnostics.

    ``pit`` must already be the point-in-time view.  Diagnostics: ``universe``,
    ``universe_log``, ``scores``/``contributions``/``signals`` (with signals),
    ``optimiser``, ``membership`` (with ``universe.membership``: the snapshot, the
    members lacking prices with their nominal weight and what the
    ``missing_prices`` policy did); an empty universe gives all CASH and a ``note``.
    """
    diag: dict[str, Any] = {}
    uni = select_universe(pit, spec.universe, previous=previous, compliance=spec.compliance)
    assets = list(uni.assets)
    log = list(uni.log)
    col_pos = {c: j for j, c in enumerate(pit.close.columns.tolist())}
    returns = (_returns_window(pit, assets, spec.estimation_window, np.array([col_pos[a] for a in assets], dtype=int))
               if reads_returns(spec) else None)
    if returns is not None and needs_returns(spec) and assets:
        counts = dict(zip(assets, returns.notna().sum().tolist(), strict=True))
        short = [a for a in assets if counts[a] < 2]
        for a in short:
            log.append({"stage": "universe", "rule": "returns_window", "asset": a, "action": "excluded",
                        "detail": f"{a} has {int(counts[a])} returns in the {spec.estimation_window}-bar window"})
        if short:
            assets = [a for a in assets if a not in short]
            returns = returns[assets]
    diag["universe"] = assets
    diag["universe_log"] = log
    if not assets:
        diag.update(optimiser={}, note="empty universe: everything in CASH")
        if uni.membership is not None:
            diag["membership"] = apply_missing_prices(spec, pd.Series({CASH: 1.0}), uni.membership)[1]
        return pd.Series({CASH: 1.0}), diag

    scores = None
    if spec.signals is not None:
        from indexer.signals import score

        res = score(pit, spec.signals, assets)
        scores = res.scores.reindex(assets)
        diag["scores"] = scores
        diag["contributions"] = res.contributions
        diag["signals"] = res.diagnostics

    pos = np.array([col_pos[a] for a in assets], dtype=int)
    index = pit.close.columns[pos]
    volume = None  # read only by the liquidity constraint
    if pit.volume is not None and spec.optimiser.constraints.liquidity is not None:
        volume = pit.volume.iloc[-VOLUME_WINDOW:, pos].mean()
    mcap = None
    if pit.market_cap is not None:  # latest_market_cap's values of the assets, named by the last bar
        caps = latest_cap_values(pit, spec.universe.max_stale_days)
        mcap = pd.Series(caps[pos], index=index, name=pit.close.index[-1] if len(pit.market_cap) else None)
    if uni.membership is not None:  # the snapshot's market caps (point-in-time, the index methodology's own)
        snap = uni.membership["chosen"].set_index("asset")["market_cap"].reindex(assets).astype("float64")
        mcap = snap if mcap is None else snap.fillna(mcap)  # forced includes outside the snapshot: the data's cap
    ctx = WeighContext(
        assets=tuple(assets), returns=returns, scores=scores, market_cap=mcap,
        volume=volume, previous=previous, registry=pit.assets,
    )
    res_w = solve(spec.optimiser, ctx)
    diag["optimiser"] = res_w.diagnostics
    w = res_w.weights.copy()
    if uni.membership is not None:
        w, diag["membership"] = apply_missing_prices(spec, w, uni.membership)
    return w, diag
