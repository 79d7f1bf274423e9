"""indexer.optimiser: scores + returns window -> long-only target weights incl. CASH.

Closed forms (market cap, equal weight, inverse volatility, fixed) and convex
objectives (mean-variance, minimum variance, maximum Sharpe, risk parity,
minimum CVaR, maximum diversification, minimum tracking error, minimum
variance for a required return ``target_return``) under constraints.  Quadratic objectives under linear constraints are re-solved
by a warm-started active-set QP (DAQP); everything else by cvxpy problems
built once per shape with DPP parameters.  cvxpy is imported only when such a
problem is first built, so closed forms and the DAQP / direct-Clarabel engines
start fast.  See docs/optimiser.md.
"""

from __future__ import annotations

import sys
from types import ModuleType

from indexer.optimiser.closed_form import cap_weights
from indexer.optimiser.context import WeighContext, WeighResult
from indexer.optimiser.functional import optimise
from indexer.optimiser.risk import RISK_MODEL_FACTORS, Factor, covariance, psd_repair, risk_factor
from indexer.optimiser.spec import (
    OBJECTIVES,
    RISK_MODELS,
    AssetBounds,
    ConstraintsSpec,
    OptimiserSpec,
    PenaltiesSpec,
    RiskModelSpec,
)
from indexer.optimiser.target import UnreachableReturn
from indexer.optimiser.weigh import weigh


def _problems() -> ModuleType | None:
    """The cvxpy problem cache module if a problem was ever built (avoids importing cvxpy)."""
    return sys.modules.get("indexer.optimiser.problem")


def cache_info() -> dict[str, int]:
    """Number of cached cvxpy problems and solves through them."""
    mod = _problems()
    return {"problems": 0, "solves": 0} if mod is None else mod.cache_info()


def clear_cache() -> None:
    """Forget every cached cvxpy problem."""
    mod = _problems()
    if mod is not None:
        mod.clear_cache()


__all__ = [
    "OBJECTIVES",
    "RISK_MODELS",
    "RISK_MODEL_FACTORS",
    "AssetBounds",
    "ConstraintsSpec",
    "Factor",
    "OptimiserSpec",
    "PenaltiesSpec",
    "RiskModelSpec",
    "UnreachableReturn",
    "WeighContext",
    "WeighResult",
    "cache_info",
    "cap_weights",
    "clear_cache",
    "covariance",
    "optimise",
    "psd_repair",
    "risk_factor",
    "weigh",
]
