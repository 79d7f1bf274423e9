"""indexer.optimiser: scores + returns window -> long-only target weights incl. CASH.

Closed forms (market cap, equal weight, inverse volatility, fixed) and cvxpy
objectives (mean-variance, minimum variance, maximum Sharpe, risk parity,
minimum CVaR, maximum diversification, minimum tracking error) under
constraints, with problems cached per shape and re-solved with new parameters.
See docs/optimiser.md.
"""

from __future__ import annotations

from indexer.optimiser.closed_form import cap_weights
from indexer.optimiser.context import WeighContext, WeighResult
from indexer.optimiser.spec import (
    OBJECTIVES,
    RISK_MODELS,
    ConstraintsSpec,
    OptimiserSpec,
    PenaltiesSpec,
    RiskModelSpec,
)
from indexer.optimiser.weigh import weigh

__all__ = [
    "OBJECTIVES",
    "RISK_MODELS",
    "ConstraintsSpec",
    "OptimiserSpec",
    "PenaltiesSpec",
    "RiskModelSpec",
    "WeighContext",
    "WeighResult",
    "cap_weights",
    "weigh",
]
