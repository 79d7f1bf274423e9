"""Parameterised (DPP) cvxpy problems, built once per shape and re-solved with new values.

The cache key is (objective, number of assets, risk-factor shape, constraint
groups, penalties); problems live in the ``optimiser.problems`` bucket of the
active :class:`indexer.runcache.RunCache`.  A walk-forward therefore pays cvxpy's canonicalisation
once; every later solve only copies parameter values and calls the solver
(warm-started where the solver supports it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

from indexer.exceptions import OptimisationError
from indexer.optimiser.build import Build, Source
from indexer.optimiser.constraints import CONSTRAINTS
from indexer.optimiser.inputs import Inputs
from indexer.optimiser.objectives import OBJECTIVE_TERMS, penalties
from indexer.runcache import active

__all__ = ["Compiled", "compiled", "cache_info", "clear_cache", "SOLVER_OPTIONS"]

_BUCKET = "optimiser.problems"
_CACHE_LOCK = threading.RLock()

#: Solver options used (tight tolerances so results agree with peers within 1e-6).
SOLVER_OPTIONS: dict[str, dict[str, Any]] = {
    "CLARABEL": {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9},
    "OSQP": {"eps_abs": 1e-9, "eps_rel": 1e-9, "polish": True, "max_iter": 200000},
    "SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9},
}


@dataclass
class Compiled:
    """A built problem: variables, parameters (with value sources) and usage counters."""

    problem: cp.Problem
    w: cp.Variable
    cash: cp.Variable
    scale: cp.Variable | float
    params: dict[str, tuple[cp.Parameter, Source]]
    mode: str
    build_seconds: float
    solves: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def solve(self, inputs: Inputs, solver: str) -> tuple[np.ndarray, float, dict[str, Any]]:
        """Set parameters from ``inputs`` and solve; returns (weights, CASH, diagnostics).

        Thread-safe: a cached problem is used by one thread at a time.
        """
        with self.lock:
            return self._solve(inputs, solver)

    def _solve(self, inputs: Inputs, solver: str) -> tuple[np.ndarray, float, dict[str, Any]]:
        for name, (p, source) in self.params.items():
            try:
                p.value = source(inputs)
            except ValueError as exc:
                raise OptimisationError(f"invalid value for {name!r}: {exc}") from exc
        t0 = time.perf_counter()
        try:
            self.problem.solve(solver=solver, warm_start=True, **SOLVER_OPTIONS.get(solver, {}))
        except cp.SolverError as exc:
            raise OptimisationError(f"solver {solver} failed: {exc}") from exc
        self.solves += 1
        status = self.problem.status
        diag = {"solver": solver, "status": status, "solve_seconds": time.perf_counter() - t0}
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            raise OptimisationError(f"problem is {status}")
        w = np.asarray(self.w.value, dtype="float64")
        cash = float(self.cash.value) if self.cash.value is not None else 0.0
        if self.mode == "homogeneous":
            s = float(self.scale.value)  # type: ignore[union-attr]
            if not s > 1e-12:
                raise OptimisationError("homogenised problem returned a zero scale")
            w, cash = w / s, cash / s
        elif self.mode == "free":
            w = np.clip(w, 0.0, None)
            w = w / w.sum()
            cash = 0.0
        diag["objective_value"] = float(self.problem.value)
        if not np.isfinite(w).all():
            raise OptimisationError(f"solver {solver} returned non-finite weights (status {status})")
        return w, cash, diag


def _key(objective: str, inputs: Inputs, groups: tuple[str, ...], with_penalties: bool) -> tuple:
    obj = OBJECTIVE_TERMS[objective]
    shape: tuple = ()
    if obj.uses_risk:
        f = inputs.factor
        shape = (min(f.G.shape), bool(np.any(f.d > 0)))
    if obj.uses_scenarios:
        shape += (inputs.scenarios.shape[0],)
    if "theme_caps" in groups:
        shape += (len(inputs.themes),)
    return (objective, inputs.n, shape, groups, with_penalties)


def compiled(objective: str, inputs: Inputs, groups: tuple[str, ...], with_penalties: bool = False) -> Compiled:
    """The cached problem for this (objective, shape, constraint groups, penalties), built on first use."""
    key = _key(objective, inputs, groups, with_penalties)
    cache = active()
    with _CACHE_LOCK:
        hit = cache.get(_BUCKET, key)
        if hit is not None:
            return hit
        return cache.put(_BUCKET, key, _build(objective, inputs, groups, with_penalties))


def _build(objective: str, inputs: Inputs, groups: tuple[str, ...], with_penalties: bool) -> Compiled:
    t0 = time.perf_counter()
    obj = OBJECTIVE_TERMS[objective]
    b = Build(inputs, obj.mode)
    expr = obj.term(b.w, b)
    cons: list[cp.Constraint] = []
    if obj.mode != "free":
        for g in groups:
            cons += CONSTRAINTS[g](b.w, b)
    if with_penalties and obj.mode == "budget":
        expr = expr + penalties(b.w, b)
    problem = cp.Problem(cp.Minimize(expr), cons + b.extra)
    if not problem.is_dcp(dpp=True):  # pragma: no cover - guards our own terms
        raise OptimisationError(f"internal: problem for {objective!r} is not DPP")
    return Compiled(problem, b.w, b.cash, b.scale, b.params, obj.mode, time.perf_counter() - t0)


def cache_info() -> dict[str, int]:
    """Number of cached problems (in the active run cache) and total solves through them."""
    probs = active().values(_BUCKET)
    return {"problems": len(probs), "solves": sum(c.solves for c in probs)}


def clear_cache() -> None:
    """Forget every built problem (of the active run cache)."""
    active().clear(_BUCKET)
