"""indexer.optimiser: scores + returns window -> long-only target weights incl. CASH.

Entry point: :func:`optimise` (``indexer.optimise``).  A strategy calls
:func:`solve` (a validated :class:`OptimiserSpec` on a :class:`WeighContext`,
returning weights and diagnostics).

Closed forms (market cap, equal weight, inverse volatility, fixed) and convex
objectives (mean-variance, minimum variance, maximum Sharpe, risk parity,
minimum CVaR, maximum diversification, minimum tracking error, minimum
variance for a required return ``target_return``) under constraints.  Each
objective and constraint is defined once, as data (:class:`Terms`): quadratic
programmes go to a warm-started DAQP or to Clarabel directly, everything else
to cvxpy problems built once per shape with DPP parameters; all three compile
the same definitions.  Users add objectives with :func:`register_objective` and
constraints as data (``constraints.linear``) or as cvxpy callables
(``add_constraints=`` / ``constraints.custom``).  cvxpy is imported only when
such a problem is first built.  See docs/optimiser.md.
"""

from __future__ import annotations

import warnings
from typing import Any

from indexer.optimiser.closed_form import cap_weights
from indexer.optimiser.constraints import CONSTRAINTS, LinearConstraint
from indexer.optimiser.context import WeighContext, WeighResult
from indexer.optimiser.entry import optimise, solve
from indexer.optimiser.inputs import Inputs
from indexer.optimiser.objectives import Objective, objective_names, register_objective
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
from indexer.optimiser.terms import Risk, Rows, Terms


def cache_info() -> dict[str, int]:
    """Return the number of cached cvxpy problems (active run cache) and solves through them; no cvxpy import when none was built."""
    import sys

    mod = sys.modules.get("indexer.optimiser.cvxpy_problem")
    return {"problems": 0, "solves": 0} if mod is None else mod.cache_info()


def __getattr__(name: str) -> Any:
    if name == "weigh":  # renamed; kept one release for callers of the old name
        warnings.warn("indexer.optimiser.weigh is now indexer.optimiser.solve", DeprecationWarning, stacklevel=2)
        return solve
    if name == "ProblemContext":  # imports cvxpy
        from indexer.optimiser.cvxpy_problem import ProblemContext

        return ProblemContext
    raise AttributeError(f"module 'indexer.optimiser' has no attribute {name!r}")


__all__ = [
    "CONSTRAINTS",
    "OBJECTIVES",
    "RISK_MODELS",
    "RISK_MODEL_FACTORS",
    "AssetBounds",
    "ConstraintsSpec",
    "Factor",
    "Inputs",
    "LinearConstraint",
    "Objective",
    "OptimiserSpec",
    "PenaltiesSpec",
    "Risk",
    "RiskModelSpec",
    "Rows",
    "Terms",
    "UnreachableReturn",
    "WeighContext",
    "WeighResult",
    "cache_info",
    "cap_weights",
    "covariance",
    "objective_names",
    "optimise",
    "psd_repair",
    "register_objective",
    "risk_factor",
    "solve",
]
