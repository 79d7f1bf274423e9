"""Solving convex objectives: two-stage max-holdings, dust removal, projection and blame.

* :func:`solve_convex`: the spec's objective under its constraints; then, if more than
  ``max_holdings`` assets are held, keep the largest ones and re-solve; then
  drop weights below ``dust`` and re-solve over the rest, repeated until no
  weight is below ``dust`` (the re-solve keeps every constraint honoured, which
  plain zeroing-and-rescaling would not).
* :func:`project`: nearest weights (L2) to a closed-form or risk-parity answer
  meeting the constraints.
* On an infeasible problem the constraint groups are re-checked alone and in
  pairs (with the cash line) to name the ones to blame.

Each solve tries the back ends in order: warm-started DAQP, direct Clarabel
(:mod:`~indexer.optimiser.qp`), then the cached cvxpy problem
(:mod:`~indexer.optimiser.cvxpy_problem`), all compiled from one
:class:`~indexer.optimiser.formulation.Formulation`.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from typing import Any

import numpy as np

from indexer.exceptions import OptimisationError
from indexer.optimiser.constraints import ALWAYS, describe, groups_for
from indexer.optimiser.context import WeighContext
from indexer.optimiser.formulation import Formulation, formulate
from indexer.optimiser.inputs import Inputs
from indexer.optimiser.objectives import FREE
from indexer.optimiser.qp import QPFailed, clarabel_eligible, daqp_eligible, solve_clarabel, solve_daqp
from indexer.optimiser.spec import OptimiserSpec
from indexer.optimiser.target import UnreachableReturn, check_reachable, reachable_target

__all__ = ["solve_convex", "solve_once", "solve_formulation", "project", "blame"]

_HELD = 1e-9
_MAX_DUST_ROUNDS = 10


def _solver(spec: OptimiserSpec, f: Formulation) -> str:
    if f.objective.name in ("projection", "feasibility", "max_return"):
        return "CLARABEL"
    if f.mode == FREE:
        return "CLARABEL" if spec.solver in ("auto", "OSQP") else spec.solver
    return "CLARABEL" if spec.solver == "auto" else spec.solver


def _is_infeasible(exc: OptimisationError) -> bool:
    return "infeasible" in str(exc)


def _cvxpy(f: Formulation, spec: OptimiserSpec) -> tuple[np.ndarray, float, dict[str, Any]]:
    from indexer.optimiser.cvxpy_problem import compiled  # cvxpy, imported only when a problem is built

    w, cash, diag = compiled(f).solve(f, _solver(spec, f))
    diag["engine"] = "cvxpy"
    return w, cash, diag


def solve_formulation(f: Formulation, spec: OptimiserSpec) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Solve on the first back end that can: direct Clarabel, else cvxpy (no DAQP, no blame).

    A problem Clarabel proves infeasible raises ``OptimisationError("problem is infeasible")``, as the
    cvxpy back end would (it runs Clarabel too), without building the cvxpy problem.  Used after DAQP
    for the objective and for the optimiser's own auxiliary problems (highest reachable return,
    feasibility checks).
    """
    if clarabel_eligible(f, spec):
        try:
            return solve_clarabel(f)
        except QPFailed as exc:
            if exc.infeasible:
                raise OptimisationError("problem is infeasible") from exc
    return _cvxpy(f, spec)


def blame(spec: OptimiserSpec, inputs: Inputs) -> str:
    """Which constraint group(s) make the problem infeasible (checked alone, then in pairs)."""
    c = spec.constraints
    groups = groups_for(c, inputs.ctx.has_holdings)
    optional = [g for g in groups if g not in ALWAYS]

    def feasible(gs: tuple[str, ...]) -> bool:
        try:
            solve_formulation(formulate("feasibility", inputs, tuple(g for g in groups if g in gs)), spec)
        except OptimisationError:
            return False
        return True

    for g in optional:
        if not feasible(ALWAYS + (g,)):
            return f"infeasible: {describe(g, c)} cannot be met with {describe('cash', c)}"
    for g1, g2 in combinations(optional, 2):
        if not feasible(ALWAYS + (g1, g2)):
            return f"infeasible: {describe(g1, c)} and {describe(g2, c)} cannot both be met"
    if feasible(groups):
        return (f"objective {spec.objective!r} has no solution under the constraints "
                f"({', '.join(describe(g, c) for g in groups)})")
    return "infeasible: the combination of " + "; ".join(describe(g, c) for g in groups)


def _run(objective: str, spec: OptimiserSpec, inputs: Inputs, groups: tuple[str, ...]) -> tuple[np.ndarray, float, dict]:
    """Objective ``objective`` under ``groups``: DAQP, else direct Clarabel, else cvxpy (which names the blame)."""
    f = formulate(objective, inputs, groups, penalties=True)
    if daqp_eligible(f, spec):
        try:
            w, cash, diag = solve_daqp(f)
            return w, cash, {**diag, "constraints": list(f.groups)}
        except QPFailed:
            pass  # the back ends below solve it or name the constraints to blame
    if objective == "target_return":
        check_reachable(spec, inputs, groups)  # names the return constraint and the achievable maximum
    try:
        w, cash, diag = solve_formulation(f, spec)
    except OptimisationError as exc:
        if not _is_infeasible(exc):
            raise OptimisationError(f"{spec.objective}: {exc}") from exc
        raise OptimisationError(f"{spec.objective}: {blame(spec, inputs)} ({exc})") from exc
    return w, cash, {**diag, "constraints": list(f.groups)}


def project(w0: np.ndarray, cash0: float, spec: OptimiserSpec,
            ctx: WeighContext) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Nearest weights (L2, CASH included) to ``(w0, cash0)`` under the spec's constraints and penalties."""
    inputs = Inputs(spec, ctx)
    inputs.target = np.asarray(w0, dtype="float64")
    inputs.target_cash = float(cash0)
    w, cash, diag = _run("projection", spec, inputs, groups_for(spec.constraints, ctx.has_holdings))
    return w, cash, {"projected": True, **{f"projection_{k}": v for k, v in diag.items()}}


def solve_once(spec: OptimiserSpec, ctx: WeighContext) -> tuple[np.ndarray, float, dict[str, Any]]:
    """One solve of the spec's convex objective over ``ctx.assets`` (no holdings/dust stage)."""
    inputs = Inputs(spec, ctx)
    groups = groups_for(spec.constraints, ctx.has_holdings)
    if spec.definition.mode == FREE:  # risk parity: solved alone, then projected onto the constraints
        y, _, diag = _run(spec.objective, spec, inputs, ())
        cash = spec.constraints.cash_min
        w = y * (1.0 - cash)
        if set(groups) - set(ALWAYS) or spec.penalties.any:
            w, cash, pdiag = project(w, cash, spec, ctx)
            diag.update(pdiag)
    elif spec.objective == "target_return":
        w, cash, diag = _target_return(spec, inputs, groups)
    else:
        w, cash, diag = _run(spec.objective, spec, inputs, groups)
    diag.update(inputs.notes)
    return w, cash, diag


def _target_return(spec: OptimiserSpec, inputs: Inputs,
                   groups: tuple[str, ...]) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Solve minimum variance for the required return.

    With ``if_unreachable: max_return`` an unreachable target is lowered to the highest achievable
    return (recorded in diagnostics).
    """
    info: dict[str, Any] = {}
    try:
        w, cash, diag = _run("target_return", spec, inputs, groups)
    except UnreachableReturn as exc:
        if spec.param("if_unreachable") != "max_return":
            raise
        inputs.required_return = reachable_target(exc)
        w, cash, diag = _run("target_return", spec, inputs, groups)
        info = {"status": "unreachable", "max_return": exc.max_return, "held": "max_return"}
    info["volatility"] = float(np.sqrt(max(float(w @ inputs.dense_covariance @ w), 0.0)))
    diag["target_return"] = info
    return w, cash, diag


def _subset(ctx: WeighContext, keep: np.ndarray) -> WeighContext:
    return replace(ctx, assets=tuple(a for a, k in zip(ctx.assets, keep, strict=True) if k))


def _resolve(spec: OptimiserSpec, ctx: WeighContext, keep: np.ndarray) -> tuple[np.ndarray, float, dict[str, Any]]:
    ws, cash, diag = solve_once(spec, _subset(ctx, keep))
    w = np.zeros(ctx.n)
    w[keep] = ws
    return w, cash, {k: v for k, v in diag.items() if k != "constraints"}


def _remove_dust(spec: OptimiserSpec, ctx: WeighContext, w: np.ndarray, cash: float, keep: np.ndarray,
                 diag: dict[str, Any]) -> tuple[np.ndarray, float, np.ndarray]:
    """Drop assets below ``dust`` and re-solve over the rest, until none is below it.

    Stops (keeping the last weights) if dropping would make the problem infeasible.
    """
    dust = spec.constraints.dust
    dropped: list[str] = []
    for _ in range(_MAX_DUST_ROUNDS):
        small = keep & (w < dust)
        if not small.any() or small.sum() == keep.sum():
            break
        trial = keep & ~small
        if not (w[small] > _HELD).any():
            keep = trial  # only zero weights: nothing to re-solve
            continue
        try:
            w2, cash2, d2 = _resolve(spec, ctx, trial)
        except OptimisationError as exc:
            diag["dust_note"] = f"kept weights below dust {dust}: dropping them is infeasible ({exc})"
            break
        dropped += [a for a, s, x in zip(ctx.assets, small, w, strict=True) if s and x > _HELD]
        keep, w, cash = trial, w2, cash2
        diag.update(d2)
    if dropped:
        diag["dropped_dust"] = dropped
    return w, cash, keep


def solve_convex(spec: OptimiserSpec, ctx: WeighContext) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Weights for a convex objective, with the max-holdings and dust stages; (weights, CASH, diagnostics)."""
    c = spec.constraints
    w, cash, diag = solve_once(spec, ctx)
    keep = np.ones(ctx.n, dtype=bool)
    if c.max_holdings is not None and int((w > _HELD).sum()) > c.max_holdings:
        keep[:] = False
        keep[np.argsort(-w, kind="stable")[: c.max_holdings]] = True
        diag["dropped_max_holdings"] = [a for a, k in zip(ctx.assets, keep, strict=True) if not k]
        w, cash, d2 = _resolve(spec, ctx, keep)
        diag.update(d2)
    if c.dust > 0:
        w, cash, keep = _remove_dust(spec, ctx, w, cash, keep, diag)
    return np.where(keep, w, 0.0), cash, diag
