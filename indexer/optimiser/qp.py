"""The quadratic-programme back ends: warm-started DAQP and direct Clarabel, from one QP form.

A :class:`~indexer.optimiser.formulation.Formulation` whose objective and
constraints are data only (no cvxpy part, budget mode) is a quadratic
programme ``0.5 x'Px + q'x`` in ``x = [w, cash, (t, t_cash)]``: :func:`_quadratic`
sums the terms' quadratic and linear parts (the covariance enters as a dense
block), :func:`_bounds` intersects their bounds, and their rows are stacked.

* **DAQP** (dense dual active-set) when CASH is fixed (``cash_min == cash_max``)
  and no trade variables enter: variables ``w`` only, started from the previous
  solution for the same asset set (kept in the ``optimiser.warm`` bucket of the
  active :class:`indexer.runcache.RunCache`).  Between two weekly rebalances the
  active set barely changes, so a re-solve takes a handful of iterations.
* **Clarabel** called directly otherwise (a CASH range, turnover, penalties):
  sparse ``P`` and rows, no modelling layer.

Any non-optimal outcome raises :class:`QPFailed`; the caller falls back to the
cvxpy back end, which also names the constraints to blame when infeasible.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from indexer.optimiser.formulation import Formulation
from indexer.optimiser.spec import OptimiserSpec
from indexer.optimiser.terms import Rows
from indexer.runcache import active

__all__ = ["QPFailed", "daqp_eligible", "clarabel_eligible", "solve_daqp", "solve_clarabel",
           "DAQP_SETTINGS", "CLARABEL_SETTINGS"]

#: DAQP settings: tight primal tolerance so constraints hold within 1e-9.
DAQP_SETTINGS: dict[str, Any] = {"primal_tol": 1e-10, "iter_limit": 10000}
#: Tight tolerances: constraints hold within ~1e-9 and results match the cvxpy back end.
CLARABEL_SETTINGS: dict[str, Any] = {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9, "verbose": False}

_INF = 1e30
_EQ, _INEQ = 5, 0
_WARM = "optimiser.warm"


class QPFailed(Exception):
    """A QP back end did not return an optimal point; the caller falls back to cvxpy.

    ``infeasible``: Clarabel proved the problem infeasible (a certificate, status ``PrimalInfeasible``);
    the cvxpy back end, which would run Clarabel on the same problem, is then skipped.
    """

    def __init__(self, message: str, *, infeasible: bool = False) -> None:
        super().__init__(message)
        self.infeasible = infeasible


def _quadratic(f: Formulation) -> tuple[np.ndarray, np.ndarray, float, float]:
    """``(P of w, q of w, P of cash, q of cash)`` of ``0.5 x'Px + q'x``: every term's quadratic and linear parts."""
    n, inputs = f.inputs.n, f.inputs
    P, q = np.zeros((n, n)), np.zeros(n)
    p_cash = q_cash = 0.0
    for t in f.terms.values():
        if t.risk is not None:
            S = inputs.dense_covariance
            P += (2.0 * t.risk.weight) * S
            if t.risk.centre is not None:
                q -= (2.0 * t.risk.weight) * (S @ t.risk.centre)
        if t.proximity is not None:
            target, target_cash = t.proximity
            P[np.diag_indices(n)] += 2.0
            q -= 2.0 * np.asarray(target, dtype="float64")
            p_cash += 2.0
            q_cash -= 2.0 * float(target_cash)
        if t.linear is not None:
            q += t.linear
    return P, q, p_cash, q_cash


def _bounds(f: Formulation) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Intersection of the terms' bounds: ``(lower w, upper w, lower cash, upper cash)`` (infinite when absent)."""
    n = f.inputs.n
    lo, hi = np.full(n, -np.inf), np.full(n, np.inf)
    cash_lo, cash_hi = -np.inf, np.inf
    for t in f.terms.values():
        if t.lower is not None:
            lo = np.maximum(lo, t.lower)
        if t.upper is not None:
            hi = np.minimum(hi, t.upper)
        if t.cash_lower is not None:
            cash_lo = max(cash_lo, float(t.cash_lower))
        if t.cash_upper is not None:
            cash_hi = min(cash_hi, float(t.cash_upper))
    return lo, hi, cash_lo, cash_hi


def _rows(f: Formulation) -> list[Rows]:
    return [r for t in f.terms.values() for r in t.rows]


def _has_quadratic(f: Formulation) -> bool:
    return any(t.quadratic for t in f.terms.values())


def clarabel_eligible(f: Formulation, spec: OptimiserSpec) -> bool:
    """Whether the direct Clarabel back end models this problem exactly."""
    return spec.solver == "auto" and f.qp


def daqp_eligible(f: Formulation, spec: OptimiserSpec) -> bool:
    """Whether the warm-started DAQP back end can solve it: a QP with CASH fixed and no trade variables."""
    if not (clarabel_eligible(f, spec) and _has_quadratic(f)) or f.uses_trades:
        return False
    _, _, cash_lo, cash_hi = _bounds(f)
    return cash_lo == cash_hi


def solve_daqp(f: Formulation) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Solve with DAQP over ``w`` (CASH fixed); returns (weights, CASH, diagnostics) or raises :class:`QPFailed`."""
    import daqp

    n = f.inputs.n
    H, q, _, _ = _quadratic(f)
    lo, hi, cash, _ = _bounds(f)
    if (lo > hi).any():
        raise QPFailed("empty bounds")
    rows = _rows(f)
    A = np.vstack([r.A for r in rows]) if rows else np.zeros((0, n))
    shift = np.concatenate([r.cash * cash for r in rows]) if rows else np.zeros(0)
    r_lo = np.concatenate([r.lower if r.lower is not None else np.full(r.m, -_INF) for r in rows]) if rows else shift
    r_hi = np.concatenate([r.upper if r.upper is not None else np.full(r.m, _INF) for r in rows]) if rows else shift
    sense = np.concatenate([np.zeros(n, dtype=np.int32)] + [np.full(r.m, _EQ if r.equal else _INEQ, dtype=np.int32)
                                                            for r in rows])
    bu = np.clip(np.concatenate([hi, r_hi - shift]), -_INF, _INF)
    bl = np.clip(np.concatenate([lo, r_lo - shift]), -_INF, _INF)
    key = (f.objective.name, tuple(f.inputs.ctx.assets), f.groups, A.shape[0])
    cache = active()
    start = cache.get(_WARM, key)
    t0 = time.perf_counter()
    kwargs = dict(DAQP_SETTINGS)
    if start is not None:
        kwargs["primal_start"] = start
    try:
        x, fval, flag, info = daqp.solve(H, q, A, bu, bl, sense, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any solver failure falls back to cvxpy
        raise QPFailed(f"DAQP raised {exc!r}") from exc
    if flag not in (1, 2) or x is None or not np.isfinite(x).all():
        cache.pop(_WARM, key)
        raise QPFailed(f"DAQP exit flag {flag}")
    w = np.clip(np.asarray(x, dtype="float64"), lo, hi)
    cache.put(_WARM, key, w.copy())
    diag = {
        "solver": "DAQP",
        "engine": "daqp_warm" if start is not None else "daqp",
        "status": "optimal",
        "iterations": int(info.get("iterations", 0)),
        "solve_seconds": time.perf_counter() - t0,
        "objective_value": float(fval),
    }
    return w, cash, diag


def _row_block(r: Rows, n: int, m: int) -> np.ndarray:
    """``r``'s coefficients placed on ``(w, cash)`` or on the trade variables ``(t, t_cash)`` of ``x`` (m columns)."""
    left = n + 1 if r.on_trades else 0
    block = np.zeros((r.m, m))
    block[:, left : left + n] = r.A
    block[:, left + n] = r.cash
    return block


def solve_clarabel(f: Formulation) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Solve with Clarabel over ``[w, cash, (t, t_cash)]``; returns (weights, CASH, diagnostics) or raises :class:`QPFailed`.

    The problem is small and dense (tens of assets): it is assembled as dense arrays and handed to
    Clarabel in CSC form once (building it from many small scipy.sparse blocks cost more than the solve).
    """
    import clarabel

    n = f.inputs.n
    trades = f.uses_trades
    m = 2 * n + 2 if trades else n + 1
    Pw, qw, p_cash, q_cash = _quadratic(f)
    P_dense = np.zeros((m, m))
    P_dense[:n, :n] = np.triu(Pw)
    P_dense[n, n] = p_cash
    P = sp.csc_matrix(P_dense)
    q = np.zeros(m)
    q[:n], q[n] = qw, q_cash
    for t in f.terms.values():
        if t.trade_costs is not None:
            q[n + 1 : 2 * n + 1] += t.trade_costs[0]
            q[2 * n + 1] += t.trade_costs[1]

    lo, hi, cash_lo, cash_hi = _bounds(f)
    eq_rows: list[np.ndarray] = []  # A x == b
    eq_rhs: list[Any] = []
    rows: list[np.ndarray] = []  # A x <= b
    rhs: list[Any] = []
    pick = np.eye(n, m)
    cash_row = np.zeros((1, m))
    cash_row[0, n] = 1.0
    for bound, sign in ((lo, -1.0), (hi, 1.0)):
        finite = np.flatnonzero(np.isfinite(bound))
        rows.append(sign * pick[finite])
        rhs.append(sign * bound[finite])
    for cash_bound, sign in ((cash_lo, -1.0), (cash_hi, 1.0)):
        if np.isfinite(cash_bound):
            rows.append(sign * cash_row)
            rhs.append([sign * cash_bound])
    for r in _rows(f):
        block = _row_block(r, n, m)
        if r.equal:
            eq_rows.append(block)
            eq_rhs.append(r.lower)
            continue
        if r.upper is not None:
            rows.append(block)
            rhs.append(r.upper)
        if r.lower is not None:
            rows.append(-block)
            rhs.append(-r.lower)
    if trades:
        prev, prev_cash, _ = f.inputs.previous
        t_sel = np.zeros((n, m))
        t_sel[:, n + 1 : 2 * n + 1] = np.eye(n)
        tc_row = np.zeros((1, m))
        tc_row[0, 2 * n + 1] = 1.0
        rows += [pick - t_sel, -pick - t_sel, cash_row - tc_row, -cash_row - tc_row]
        rhs += [prev, -prev, [prev_cash], [-prev_cash]]
    A = sp.csc_matrix(np.vstack([*eq_rows, *rows]))
    b = np.concatenate([np.asarray(x, dtype="float64").reshape(-1) for x in [*eq_rhs, *rhs]])
    n_eq = sum(x.shape[0] for x in eq_rows)
    cones = ([clarabel.ZeroConeT(n_eq)] if n_eq else []) + [clarabel.NonnegativeConeT(A.shape[0] - n_eq)]
    settings = clarabel.DefaultSettings()
    for k, v in CLARABEL_SETTINGS.items():
        setattr(settings, k, v)
    t0 = time.perf_counter()
    try:
        sol = clarabel.DefaultSolver(P, q, A, b, cones, settings).solve()
    except Exception as exc:  # noqa: BLE001 - any solver failure falls back to cvxpy
        raise QPFailed(f"Clarabel raised {exc!r}") from exc
    status = str(sol.status)
    if "Solved" not in status or "Almost" in status:
        raise QPFailed(f"Clarabel status {status}", infeasible=status == "PrimalInfeasible")
    x = np.asarray(sol.x, dtype="float64")
    w = np.clip(x[:n], np.maximum(lo, 0.0), hi)
    diag = {
        "solver": "CLARABEL",
        "engine": "clarabel_direct",
        "status": "optimal",
        "iterations": int(sol.iterations),
        "solve_seconds": time.perf_counter() - t0,
        "objective_value": float(sol.obj_val),
    }
    return w, float(max(x[n], 0.0)), diag
