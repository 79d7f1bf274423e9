"""The cvxpy back end: a :class:`~indexer.optimiser.formulation.Formulation` compiled to a DPP problem.

Every array of the formulation's :class:`~indexer.optimiser.terms.Terms`
becomes a :class:`cvxpy.Parameter`, so a problem is built once per structure
(objective, number of assets, risk-factor shape, constraint groups, rows) and
re-solved with new values: a walk-forward pays cvxpy's canonicalisation once.
Built problems live in the ``optimiser.problems`` bucket of the active
:class:`indexer.runcache.RunCache`.  Problems with a user's custom constraint
or cvxpy objective are built for each solve (the callable may read the data
while building), unless the objective is registered ``reusable=True``.

Objective ``conic`` parts and custom constraints receive ``(w, ctx)``: the
weight variable and the :class:`ProblemContext`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

from indexer.exceptions import OptimisationError
from indexer.optimiser.constraints import CONSTRAINTS
from indexer.optimiser.context import WeighContext
from indexer.optimiser.formulation import Formulation
from indexer.optimiser.inputs import Inputs
from indexer.optimiser.objectives import FREE, HOMOGENEOUS
from indexer.optimiser.terms import Rows, Terms
from indexer.runcache import active

__all__ = ["ProblemContext", "Compiled", "compiled", "cache_info", "SOLVER_OPTIONS"]

_BUCKET = "optimiser.problems"
_CACHE_LOCK = threading.RLock()

#: Solver options used (tight tolerances so results agree with peers within 1e-6).
SOLVER_OPTIONS: dict[str, dict[str, Any]] = {
    "CLARABEL": {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9},
    "OSQP": {"eps_abs": 1e-9, "eps_rel": 1e-9, "polish": True, "max_iter": 200000},
    "SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9},
}

#: A parameter's value from the formulation of the solve.
Source = Callable[[Formulation], Any]


class ProblemContext:
    """A cvxpy problem under construction: variables, parameters and the numbers of the call.

    Attributes
    ----------
    assets, n
        The assets weighed (order of ``w``) and their number.
    w, cash
        The weight variable (n,) and the CASH variable.
    scale
        The homogenising variable of ratio objectives (``max_sharpe``,
        ``max_diversification``), else 1: write right-hand sides as
        ``ctx.scaled(b)`` so a constraint holds for the final weights ``w / scale``.
    inputs
        :class:`~indexer.optimiser.inputs.Inputs`: ``dense_covariance``, ``mu``,
        ``previous``, ``spec``... of this call.
    context
        The :class:`~indexer.optimiser.context.WeighContext` (registry, market caps...).
    """

    def __init__(self, formulation: Formulation) -> None:
        self.formulation = formulation
        self.inputs: Inputs = formulation.inputs
        self.context: WeighContext = formulation.inputs.ctx
        self.assets = self.context.assets
        self.mode = formulation.mode
        self.n = self.inputs.n
        self.w = cp.Variable(self.n, name="w")
        self.cash = cp.Variable(name="cash")
        self.scale: cp.Variable | float = cp.Variable(name="scale", nonneg=True) if self.mode == HOMOGENEOUS else 1.0
        self.params: dict[str, tuple[cp.Parameter, Source]] = {}
        self.extra: list[cp.Constraint] = []
        self._trades: tuple[cp.Variable, cp.Variable] | None = None

    # -- for cvxpy parts and custom constraints --------------------------------------------------------------
    def param(self, name: str, shape: tuple[int, ...] | int, source: Callable[[Inputs], Any], **attrs: Any) -> cp.Parameter:
        """Return the parameter ``name`` (created on first request) whose value is ``source(inputs)`` at every solve."""
        return self._param(name, shape, lambda f: source(f.inputs), **attrs)

    def scaled(self, x: Any) -> Any:
        """``x`` times the homogenising scale (``x`` itself outside ratio objectives)."""
        return x * self.scale if self.mode == HOMOGENEOUS else x

    def weight(self, asset: str) -> Any:
        """Return the weight of ``asset`` as an expression (0 when it is not among the assets)."""
        return self.w[self.assets.index(asset)] if asset in self.assets else cp.Constant(0.0)

    def members(self, group: str) -> np.ndarray:
        """0/1 vector of the assets in registry theme or kind ``group`` (``members(g) @ w`` is the group's weight)."""
        reg = self.context.registry
        if reg is None:
            raise OptimisationError(f"group {group!r} needs WeighContext.registry (the asset registry)")
        inside = set(reg.with_theme(group))
        return np.array([a in inside for a in self.assets], dtype="float64")

    def require(self, *constraints: cp.Constraint) -> None:
        """Add constraints (an objective's auxiliary variables, e.g. CVaR's)."""
        self.extra.extend(constraints)

    def trades(self) -> tuple[cp.Variable, cp.Variable]:
        """Variables bounding ``|w - previous|`` by asset and ``|cash - previous cash|`` (created once)."""
        if self._trades is None:
            prev = self._param("prev", self.n, lambda f: f.inputs.previous[0])
            prev_cash = self._param("prev_cash", (), lambda f: f.inputs.previous[1])
            t = cp.Variable(self.n, name="trade")
            tc = cp.Variable(name="trade_cash")
            p, pc = self.scaled(prev), self.scaled(prev_cash)
            self.extra += [t >= self.w - p, t >= p - self.w, tc >= self.cash - pc, tc >= pc - self.cash]
            self._trades = (t, tc)
        return self._trades

    # -- compiling terms -------------------------------------------------------------------------------------
    def _param(self, name: str, shape: tuple[int, ...] | int, source: Source, **attrs: Any) -> cp.Parameter:
        if name not in self.params:
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            self.params[name] = (cp.Parameter(shape, name=name, **attrs), source)
        return self.params[name][0]

    def compile_terms(self, key: str, t: Terms) -> tuple[list[Any], list[cp.Constraint]]:
        """Return the objective expressions and constraints of ``formulation.terms[key]``, values as parameters."""
        n, w, cash, sc = self.n, self.w, self.cash, self.scaled

        def get(f: Formulation) -> Terms:
            return f.terms[key]

        expr: list[Any] = []
        if t.risk is not None:
            expr.append(self._risk(key, t.risk.centre is not None))
        if t.proximity is not None:
            target = self._param(f"{key}.target", n, lambda f: get(f).proximity[0])  # type: ignore[index]
            target_cash = self._param(f"{key}.target_cash", (), lambda f: get(f).proximity[1])  # type: ignore[index]
            expr.append(cp.sum_squares(w - target) + cp.square(cash - target_cash))
        if t.linear is not None:
            expr.append(self._param(f"{key}.q", n, lambda f: get(f).linear) @ w)
        if t.trade_costs is not None:
            tr, tr_cash = self.trades()
            c = self._param(f"{key}.trade_cost", n, lambda f: get(f).trade_costs[0])  # type: ignore[index]
            c_cash = self._param(f"{key}.trade_cost_cash", (), lambda f: get(f).trade_costs[1])  # type: ignore[index]
            expr.append(c @ tr + c_cash * tr_cash)
        cons: list[cp.Constraint] = []
        if t.lower is not None:
            cons.append(w >= sc(self._param(f"{key}.lower", n, lambda f: get(f).lower)))
        if t.upper is not None:
            cons.append(w <= sc(self._param(f"{key}.upper", n, lambda f: get(f).upper)))
        if t.cash_lower is not None:
            cons.append(cash >= sc(self._param(f"{key}.cash_lower", (), lambda f: get(f).cash_lower)))
        if t.cash_upper is not None:
            cons.append(cash <= sc(self._param(f"{key}.cash_upper", (), lambda f: get(f).cash_upper)))
        for j, r in enumerate(t.rows):
            cons += self._rows(f"{key}.rows{j}", _nth_rows(key, j), r)
        return expr, cons

    def _rows(self, name: str, rows: Callable[[Formulation], Rows], r: Rows) -> list[cp.Constraint]:
        x, x_cash = self.trades() if r.on_trades else (self.w, self.cash)
        A = self._param(f"{name}.A", (r.m, self.n), lambda f: rows(f).A)
        c = self._param(f"{name}.cash", r.m, lambda f: rows(f).cash)
        lhs = A @ x + c * x_cash

        def rhs(side: str) -> Any:
            p = self._param(f"{name}.{side}", r.m, lambda f: getattr(rows(f), side))
            return self.scaled(p) if r.scaled else p

        if r.equal:
            return [lhs == rhs("lower")]
        out = []
        if r.lower is not None:
            out.append(lhs >= rhs("lower"))
        if r.upper is not None:
            out.append(lhs <= rhs("upper"))
        return out

    def _risk(self, key: str, centred: bool) -> Any:
        """``weight (w - c)' S (w - c)`` as ``||G (w - c)||^2 + ||sqrt(d) (w - c)||^2``; ``sqrt(weight)`` folded into G."""
        k = self.inputs.reduced.G.shape[0]

        def root(f: Formulation) -> float:
            return float(np.sqrt(f.terms[key].risk.weight))  # type: ignore[union-attr]

        def centre(f: Formulation) -> np.ndarray:
            return f.terms[key].risk.centre  # type: ignore[union-attr,return-value]

        G = self._param(f"{key}.G", (k, self.n), lambda f: root(f) * f.inputs.reduced.G)
        x = G @ self.w
        if centred:
            x = x - self.scaled(self._param(f"{key}.G_centre", k, lambda f: root(f) * (f.inputs.reduced.G @ centre(f))))
        expr = cp.sum_squares(x)
        if np.any(self.inputs.factor.d > 0):
            sd = self._param(f"{key}.sqrt_d", self.n, lambda f: root(f) * f.inputs.sqrt_d)
            y = cp.multiply(sd, self.w)
            if centred:
                y = y - self.scaled(self._param(f"{key}.sqrt_d_centre", self.n,
                                                lambda f: root(f) * f.inputs.sqrt_d * centre(f)))
            expr = expr + cp.sum_squares(y)
        return expr


def _nth_rows(key: str, j: int) -> Callable[[Formulation], Rows]:
    """Return the ``j``-th :class:`Rows` of ``formulation.terms[key]``."""
    return lambda f: f.terms[key].rows[j]


@dataclass
class Compiled:
    """A built problem: its context (variables, parameters and their sources) and usage counters."""

    problem: cp.Problem
    ctx: ProblemContext
    build_seconds: float
    solves: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def solve(self, f: Formulation, solver: str) -> tuple[np.ndarray, float, dict[str, Any]]:
        """Set parameters from ``f`` and solve; returns (weights, CASH, diagnostics).

        Thread-safe: a cached problem is used by one thread at a time.
        """
        with self.lock:
            return self._solve(f, solver)

    def _solve(self, f: Formulation, solver: str) -> tuple[np.ndarray, float, dict[str, Any]]:
        for name, (p, source) in self.ctx.params.items():
            try:
                p.value = source(f)
            except ValueError as exc:
                raise OptimisationError(f"invalid value for {name!r}: {exc}") from exc
        t0 = time.perf_counter()
        try:
            self.problem.solve(solver=solver, warm_start=True, **SOLVER_OPTIONS.get(solver, {}))
        except cp.SolverError as exc:
            raise OptimisationError(f"solver {solver} failed: {exc}") from exc
        self.solves += 1
        status = self.problem.status
        diag: dict[str, Any] = {"solver": solver, "status": status, "solve_seconds": time.perf_counter() - t0}
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            raise OptimisationError(f"problem is {status}")
        ctx = self.ctx
        w = np.asarray(ctx.w.value, dtype="float64")
        cash = float(ctx.cash.value) if ctx.cash.value is not None else 0.0
        if ctx.mode == HOMOGENEOUS:
            s = float(ctx.scale.value)  # type: ignore[union-attr,arg-type]
            if not s > 1e-12:
                raise OptimisationError("homogenised problem returned a zero scale")
            w, cash = w / s, cash / s
        elif ctx.mode == FREE:
            w = np.clip(w, 0.0, None)
            w = w / w.sum()
            cash = 0.0
        diag["objective_value"] = float(self.problem.value)
        if not np.isfinite(w).all():
            raise OptimisationError(f"solver {solver} returned non-finite weights (status {status})")
        return w, cash, diag


def compiled(f: Formulation) -> Compiled:
    """Return the cached problem of this formulation's structure, built on first use."""
    if not f.cacheable:
        return _build(f)
    key = f.cvxpy_key()
    cache = active()
    with _CACHE_LOCK:
        hit = cache.get(_BUCKET, key)
        if hit is not None:
            return hit
        return cache.put(_BUCKET, key, _build(f))


def _build(f: Formulation) -> Compiled:
    t0 = time.perf_counter()
    ctx = ProblemContext(f)
    terms: list[Any] = []
    cons: list[cp.Constraint] = []
    for key, t in f.terms.items():
        e, c = ctx.compile_terms(key, t)
        terms += e
        cons += c
    if f.objective.conic is not None:
        terms.append(f.objective.conic(ctx.w, ctx))
    for g in f.conic_groups:
        cons += CONSTRAINTS[g].conic(ctx.w, ctx)  # type: ignore[misc]
    expr = sum(terms[1:], terms[0]) if terms else cp.Constant(0.0)
    problem = cp.Problem(cp.Minimize(expr), cons + ctx.extra)
    if not problem.is_dcp(dpp=True):  # type: ignore[call-arg]
        if problem.is_dcp():
            raise OptimisationError(f"{f.objective.name}: the problem is convex but not DPP: build parameters with "
                                    "ctx.param(...) rather than multiplying parameters together")
        raise OptimisationError(f"{f.objective.name}: the problem is not convex (DCP); check custom constraints "
                                f"and objective terms ({', '.join(f.conic_groups) or 'built-in'})")
    return Compiled(problem, ctx, time.perf_counter() - t0)


def cache_info() -> dict[str, int]:
    """Return the number of cached problems (in the active run cache) and total solves through them."""
    probs = active().values(_BUCKET)
    return {"problems": len(probs), "solves": sum(c.solves for c in probs)}
