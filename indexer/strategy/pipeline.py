"""The pre-overlay part of a decision: universe -> signals -> optimiser, on point-in-time data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from indexer._typing import CASH
from indexer.optimiser import WeighContext, weigh
from indexer.strategy.spec import StrategySpec
from indexer.universe import latest_market_cap, select_universe

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["base_portfolio", "RETURNS_OBJECTIVES", "VOLUME_WINDOW", "needs_returns"]

#: Objectives (and fallbacks) that need a returns window with >= 2 observations per asset.
RETURNS_OBJECTIVES = (
    "inverse_volatility",
    "mean_variance",
    "min_variance",
    "max_sharpe",
    "risk_parity",
    "min_cvar",
    "max_diversification",
    "min_tracking_error",
    "target_return",
)
#: Bars averaged for the volume given to the optimiser's liquidity cap.
VOLUME_WINDOW = 30


def needs_returns(spec: StrategySpec) -> bool:
    """Whether the optimiser (or a fallback) reads the returns window."""
    o = spec.optimiser
    return o.objective in RETURNS_OBJECTIVES or any(f in RETURNS_OBJECTIVES for f in o.fallback)


def base_portfolio(
    spec: StrategySpec, pit: "MarketData", previous: pd.Series | None = None
) -> tuple[pd.Series, dict[str, Any]]:
    """Weights (incl. CASH) before overlays at ``pit``'s last bar, and their diagnostics.

    ``pit`` must already be the point-in-time view.  Diagnostics: ``universe``,
    ``universe_log``, ``scores``/``contributions``/``signals`` (with signals),
    ``optimiser``; an empty universe gives all CASH and a ``note``.
    """
    diag: dict[str, Any] = {}
    uni = select_universe(pit, spec.universe, previous=previous, compliance=spec.compliance)
    assets = list(uni.assets)
    log = list(uni.log)
    window = pit.close.iloc[-(spec.estimation_window + 1):]  # rows first: no copy of the whole history
    returns = window[assets].pct_change(fill_method=None).iloc[-spec.estimation_window:]
    if needs_returns(spec) and assets:
        counts = dict(zip(assets, returns.notna().sum().tolist()))
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
        return pd.Series({CASH: 1.0}), diag

    scores = None
    if spec.signals is not None:
        from indexer.signals import score

        res = score(pit, spec.signals, assets)
        scores = res.scores.reindex(assets)
        diag["scores"] = scores
        diag["contributions"] = res.contributions
        diag["signals"] = res.diagnostics

    volume = pit.volume.iloc[-VOLUME_WINDOW:][assets].mean() if pit.volume is not None else None
    mcap = latest_market_cap(pit, spec.universe.max_stale_days)[assets] if pit.market_cap is not None else None
    ctx = WeighContext(
        assets=tuple(assets), returns=returns, scores=scores, market_cap=mcap,
        volume=volume, previous=previous, registry=pit.assets,
    )
    res_w = weigh(spec.optimiser, ctx)
    diag["optimiser"] = res_w.diagnostics
    return res_w.weights.copy(), diag
