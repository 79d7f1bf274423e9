"""One problem as data: the objective's and the active constraint groups' :class:`~indexer.optimiser.terms.Terms`.

:func:`formulate` evaluates each definition once per solve; every back end
(:mod:`~indexer.optimiser.qp`, :mod:`~indexer.optimiser.cvxpy_problem`) reads
the same :class:`Formulation`.  No cvxpy here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer.optimiser.constraints import CONSTRAINTS
from indexer.optimiser.inputs import Inputs
from indexer.optimiser.objectives import BUDGET, FREE, Objective, objective, penalty_terms
from indexer.optimiser.terms import Terms

__all__ = ["Formulation", "formulate", "OBJECTIVE", "PENALTIES"]

#: Keys of the objective's and the penalties' terms in :attr:`Formulation.terms` (groups use their names).
OBJECTIVE, PENALTIES = "objective", "penalties"


@dataclass
class Formulation:
    """The objective, the constraint groups and their evaluated terms for one solve.

    Attributes
    ----------
    objective
        The :class:`~indexer.optimiser.objectives.Objective`.
    inputs
        The numbers of this call.
    groups
        Active constraint groups (empty in ``free`` mode: risk parity is projected after).
    terms
        ``"objective"``, each group with data and ``"penalties"`` -> :class:`Terms`.
    conic_groups
        Groups with a cvxpy-only part (user callables).
    """

    objective: Objective
    inputs: Inputs
    groups: tuple[str, ...]
    terms: dict[str, Terms]
    conic_groups: tuple[str, ...]

    @property
    def mode(self) -> str:
        """``budget``, ``homogeneous`` or ``free``."""
        return self.objective.mode

    @property
    def uses_trades(self) -> bool:
        """Whether the trade variables ``|w - previous|`` enter."""
        return any(t.uses_trades for t in self.terms.values())

    @property
    def uses_risk(self) -> bool:
        """Whether a risk term (the risk model's covariance) enters."""
        return any(t.risk is not None for t in self.terms.values())

    @property
    def qp(self) -> bool:
        """Whether it is a quadratic programme in data only (DAQP / Clarabel can solve it)."""
        return self.objective.qp and not self.conic_groups

    @property
    def cacheable(self) -> bool:
        """A built cvxpy problem can be re-used with new values (user callables may read data when built)."""
        return not self.conic_groups and (self.objective.conic is None or self.objective.reusable)

    def cvxpy_key(self) -> tuple[Any, ...]:
        """Return what a built cvxpy problem depends on besides parameter values."""
        shape: tuple[Any, ...] = ()
        if self.uses_risk:
            f = self.inputs.factor
            shape = (min(f.G.shape), bool(np.any(f.d > 0)))
        if self.objective.uses_scenarios:
            shape += (self.inputs.scenarios.shape[0],)
        sig = tuple((k, t.signature()) for k, t in self.terms.items())
        return (self.objective.name, self.mode, self.inputs.n, self.groups, shape, sig)


def formulate(name: str, inputs: Inputs, groups: tuple[str, ...], penalties: bool = False) -> Formulation:
    """Return the :class:`Formulation` of objective ``name`` under ``groups``; ``penalties``: add the spec's, if any."""
    obj = objective(name)
    terms: dict[str, Terms] = {}
    if obj.terms is not None:
        terms[OBJECTIVE] = obj.terms(inputs)
    if obj.mode == FREE:
        groups = ()
    for g in groups:
        definition = CONSTRAINTS[g].terms
        if definition is not None:
            terms[g] = definition(inputs)
    if penalties and inputs.spec.penalties.any and obj.mode == BUDGET:
        terms[PENALTIES] = penalty_terms(inputs)
    conic = tuple(g for g in groups if CONSTRAINTS[g].conic is not None)
    return Formulation(obj, inputs, tuple(groups), terms, conic)
