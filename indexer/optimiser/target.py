"""The required-return objective ``target_return``: unreachable targets and diagnostics.

``target_return`` minimises ``w'Sw`` subject to ``scores . w >= required_return``
(annual fractions; CASH earns 0) and every configured constraint.  It is a
quadratic programme like ``min_variance`` and goes through the same engines
(warm-started DAQP, direct Clarabel, cached DPP problem).  When no feasible
weights reach the required return, the highest achievable expected return
under the same constraints (a linear programme, solved by Clarabel directly)
is computed and :class:`UnreachableReturn` names the return constraint and that
maximum; the strategy's fallback chain then applies as for any
:class:`~indexer.exceptions.OptimisationError`, or, with
``if_unreachable: max_return``, the least risky portfolio with the highest
achievable return is held.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from indexer._typing import CASH
from indexer.exceptions import OptimisationError
from indexer.optimiser.constraints import describe
from indexer.optimiser.context import WeighContext
from indexer.optimiser.inputs import Inputs
from indexer.optimiser.spec import OptimiserSpec

__all__ = ["UnreachableReturn", "max_expected_return", "check_reachable", "reachable_target", "report"]

#: Relative slack below the highest achievable return used when holding it (``if_unreachable: max_return``).
_MAX_SLACK = 1e-9
#: An expected return within this (relative) of the requirement counts as the constraint binding.
_BINDING = 1e-6


class UnreachableReturn(OptimisationError):
    """No weights meeting the constraints reach the required expected return.

    Attributes
    ----------
    required_return, max_return
        The requirement and the highest expected return achievable under the
        constraints (annual fractions).
    """

    def __init__(self, message: str, required_return: float = float("nan"), max_return: float = float("nan")) -> None:
        super().__init__(message)
        self.required_return = float(required_return)
        self.max_return = float(max_return)

    @classmethod
    def for_target(cls, required_return: float, max_return: float, constraints: str) -> UnreachableReturn:
        """Return the error naming the return constraint, the achievable maximum and the constraints."""
        return cls(
            f"target_return: return constraint unreachable: required_return {required_return:.6g} (annual) "
            f"is above the highest expected return {max_return:.6g} achievable under the constraints "
            f"({constraints}); lower params.required_return, loosen the constraints, "
            "or set params.if_unreachable: max_return",
            required_return,
            max_return,
        )


def max_expected_return(inputs: Inputs, groups: tuple[str, ...]) -> float:
    """Highest ``scores . w`` under the constraint groups (annual fraction): the LP ``max_return``.

    Raises :class:`OptimisationError` when the constraint groups alone are infeasible.
    """
    from indexer.optimiser.convex import solve_formulation
    from indexer.optimiser.formulation import formulate

    w, _, _ = solve_formulation(formulate("max_return", inputs, groups), inputs.spec)
    return float(inputs.mu @ w)


def check_reachable(spec: OptimiserSpec, inputs: Inputs, groups: tuple[str, ...]) -> None:
    """Raise :class:`UnreachableReturn` if the required return is above the achievable maximum.

    Does nothing when the target is reachable or when the constraints themselves
    are infeasible (the caller then names the constraint groups to blame).
    """
    try:
        best = max_expected_return(inputs, groups)
    except OptimisationError:
        return
    required = inputs.required_return
    if best < required - _MAX_SLACK * max(1.0, abs(required)):
        raise UnreachableReturn.for_target(required, best, ", ".join(describe(g, spec.constraints) for g in groups))


def reachable_target(exc: UnreachableReturn) -> float:
    """Return the requirement used to hold the highest-return portfolio: its return less a 1e-9 relative slack."""
    return exc.max_return - _MAX_SLACK * max(1.0, abs(exc.max_return))


def report(spec: OptimiserSpec, ctx: WeighContext, weights: pd.Series, info: dict[str, Any]) -> dict[str, Any]:
    """``diagnostics["target_return"]`` for the final weights (incl. CASH).

    Keys: ``required_return``, ``expected_return`` (scores . weights), ``status``
    (``met``: the return constraint binds; ``met_by_least_risky``: the minimum
    variance portfolio already exceeds it; ``unreachable``: see ``max_return``
    and ``held``), ``cash``, and ``volatility`` (annualised, of the risk model)
    when the solver produced the weights.
    """
    required = float(spec.param("required_return"))
    out: dict[str, Any] = {"required_return": required, **info}
    try:
        mu = Inputs(spec, ctx).mu
    except OptimisationError:
        return out
    w = weights.reindex(list(ctx.assets)).fillna(0.0).to_numpy()
    er = float(mu @ w)
    out["expected_return"] = er
    if "status" not in out:
        binding = er - required <= _BINDING * max(1.0, abs(required))
        out["status"] = "met" if binding else "met_by_least_risky"
    out["cash"] = float(weights.get(CASH, 0.0))
    return out

