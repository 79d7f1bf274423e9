"""Quadratic objectives with trading terms, handed to Clarabel directly (no modelling layer).

Covers what the warm-started DAQP engine cannot: a CASH range, a turnover
limit and turnover / transaction-cost penalties, for the quadratic objectives
(mean-variance, minimum variance with or without a required return, minimum
tracking error, projection).  The variables are ``x = [w (n), cash, t (n), t_cash]`` where ``t >= |w - previous|``
and ``t_cash >= |cash - previous cash|`` (only when trades enter the problem);
the covariance enters as a dense ``P`` block, which Clarabel factorises faster
than the lifted factor form a DPP problem needs.  Any non-optimal status hands
the problem back to the cvxpy path, which names the constraints to blame.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from indexer.optimiser.fast_qp import FAST_GROUPS, FAST_OBJECTIVES, FastPathFailed
from indexer.optimiser.inputs import Inputs
from indexer.optimiser.spec import OptimiserSpec

__all__ = ["direct_eligible", "solve_direct", "CLARABEL_SETTINGS"]

#: Tight tolerances: constraints hold within ~1e-9 and results match the cvxpy path.
CLARABEL_SETTINGS: dict[str, Any] = {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9, "verbose": False}


def direct_eligible(objective: str, spec: OptimiserSpec, groups: tuple[str, ...]) -> bool:
    """Whether the direct Clarabel engine models this problem exactly."""
    return spec.solver == "auto" and objective in FAST_OBJECTIVES and set(groups) <= FAST_GROUPS | {"turnover"}


def _quadratic(objective: str, inputs: Inputs) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(P block of w, q of w, P of cash, q of cash) for ``0.5 x'Px + q'x``."""
    n = inputs.n
    if objective == "projection":
        return 2.0 * np.eye(n), -2.0 * inputs.target, 2.0, -2.0 * inputs.target_cash
    S = inputs.dense_covariance
    if objective == "mean_variance":
        return 2.0 * float(inputs.spec.param("risk_aversion")) * S, -inputs.mu, 0.0, 0.0
    if objective in ("min_variance", "target_return"):
        return 2.0 * S, np.zeros(n), 0.0, 0.0
    return 2.0 * S, -2.0 * (S @ inputs.benchmark), 0.0, 0.0


def solve_direct(objective: str, inputs: Inputs, groups: tuple[str, ...]) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Solve with Clarabel; returns (weights, CASH, diagnostics) or raises :class:`FastPathFailed`."""
    import clarabel

    n = inputs.n
    spec = inputs.spec
    c = spec.constraints
    trades = "turnover" in groups or spec.penalties.any
    m = 2 * n + 2 if trades else n + 1
    Pw, qw, pc, qc = _quadratic(objective, inputs)
    P = sp.block_diag([sp.csc_matrix(np.triu(Pw)), sp.csc_matrix([[pc]]), sp.csc_matrix((m - n - 1, m - n - 1))],
                      format="csc")
    q = np.zeros(m)
    q[:n], q[n] = qw, qc
    if trades:
        q[n + 1 : 2 * n + 1] = inputs.cost + spec.penalties.turnover
        q[2 * n + 1] = spec.penalties.turnover

    eye = sp.eye(n, m, format="csc")  # selects w
    cash_row = sp.csc_matrix(([1.0], ([0], [n])), shape=(1, m))
    eq_A = sp.hstack([sp.csc_matrix(np.ones((1, n))), sp.csc_matrix([[1.0]]), sp.csc_matrix((1, m - n - 1))])
    rows, rhs = [], []  # inequalities  A x <= b

    lo, hi = np.zeros(n), np.ones(n)
    if "bounds" in groups:
        lo, hi = np.maximum(lo, inputs.lower), np.minimum(hi, inputs.upper)
    if "liquidity" in groups:
        hi = np.minimum(hi, inputs.liquidity_upper)
    rows += [-eye, eye, -cash_row, cash_row]
    rhs += [-lo, hi, [-c.cash_min], [c.cash_max]]
    if "theme_caps" in groups:
        rows.append(sp.hstack([sp.csc_matrix(inputs.theme_matrix), sp.csc_matrix((len(inputs.themes), m - n))]))
        rhs.append(inputs.theme_caps)
    if "stablecoin" in groups:
        srow = sp.hstack([sp.csc_matrix(inputs.stable[None, :]), sp.csc_matrix([[1.0]]), sp.csc_matrix((1, m - n - 1))])
        rows += [-srow, srow]
        rhs += [[-(c.stablecoin_min or 0.0)], [1.0 if c.stablecoin_max is None else c.stablecoin_max]]
    if objective == "target_return":  # -scores . w <= -required return
        rows.append(sp.hstack([sp.csc_matrix(-inputs.mu[None, :]), sp.csc_matrix((1, m - n))]))
        rhs.append([-inputs.required_return])
    if trades:
        prev, prev_cash, gone = inputs.previous
        t_sel = sp.hstack([sp.csc_matrix((n, n + 1)), sp.eye(n), sp.csc_matrix((n, 1))])
        tc_row = sp.csc_matrix(([1.0], ([0], [2 * n + 1])), shape=(1, m))
        rows += [eye - t_sel, -eye - t_sel, cash_row - tc_row, -cash_row - tc_row]
        rhs += [prev, -prev, [prev_cash], [-prev_cash]]
        if "turnover" in groups:
            rows.append(sp.hstack([sp.csc_matrix((1, n + 1)), sp.csc_matrix(np.ones((1, n + 1)))]))
            rhs.append([c.turnover - gone])
    A = sp.vstack([eq_A, *rows], format="csc")
    b = np.concatenate([[1.0], *[np.asarray(r, dtype="float64") for r in rhs]])
    cones = [clarabel.ZeroConeT(1), clarabel.NonnegativeConeT(A.shape[0] - 1)]
    settings = clarabel.DefaultSettings()
    for k, v in CLARABEL_SETTINGS.items():
        setattr(settings, k, v)
    t0 = time.perf_counter()
    try:
        sol = clarabel.DefaultSolver(P, q, A, b, cones, settings).solve()
    except Exception as exc:  # noqa: BLE001 - any solver failure falls back to cvxpy
        raise FastPathFailed(f"Clarabel raised {exc!r}") from exc
    status = str(sol.status)
    if "Solved" not in status or "Almost" in status:
        raise FastPathFailed(f"Clarabel status {status}")
    x = np.asarray(sol.x, dtype="float64")
    w = np.clip(x[:n], lo, hi)
    diag = {
        "solver": "CLARABEL",
        "engine": "clarabel_direct",
        "status": "optimal",
        "iterations": int(sol.iterations),
        "solve_seconds": time.perf_counter() - t0,
        "objective_value": float(sol.obj_val),
    }
    return w, float(max(x[n], 0.0)), diag
