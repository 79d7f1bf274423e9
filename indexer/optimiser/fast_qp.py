"""Warm-started dense QP engine (DAQP) for the quadratic objectives under linear constraints.

Mean-variance, minimum variance (also with a required return), minimum
tracking error and the projection
used by closed forms are quadratic programmes in the asset weights once the
CASH line is fixed (``cash_min == cash_max``).  For them the optimiser hands
``0.5 w'Hw + f'w`` with simple bounds, the budget equality and the linear
group constraints (themes, stablecoins) straight to DAQP, a dual active-set
solver, and starts it from the previous solution for the same asset set
(kept in the ``optimiser.warm`` bucket of the active
:class:`indexer.runcache.RunCache`): between
two weekly rebalances the active set (assets at 0 or at their cap) barely
changes, so a re-solve takes a handful of iterations instead of a cold solve
plus cvxpy's canonicalisation.  Anything else (turnover, penalties, a CASH
range, other objectives, a failed solve) goes through the cvxpy problems,
which also name the constraints to blame when infeasible.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from indexer.optimiser.inputs import Inputs
from indexer.optimiser.spec import OptimiserSpec
from indexer.runcache import active

__all__ = ["FAST_OBJECTIVES", "FAST_GROUPS", "eligible", "solve_fast", "FastPathFailed", "DAQP_SETTINGS"]

FAST_OBJECTIVES = ("mean_variance", "min_variance", "min_tracking_error", "target_return", "projection")
FAST_GROUPS = frozenset({"long_only", "budget", "cash", "bounds", "theme_caps", "liquidity", "stablecoin"})
#: DAQP settings: tight primal tolerance so constraints hold within 1e-9.
DAQP_SETTINGS: dict[str, Any] = {"primal_tol": 1e-10, "iter_limit": 10000}

_INF = 1e30
_EQ, _INEQ = 5, 0
_WARM = "optimiser.warm"


class FastPathFailed(Exception):
    """DAQP did not return an optimal point; the caller falls back to cvxpy."""


def eligible(objective: str, spec: OptimiserSpec, groups: tuple[str, ...]) -> bool:
    """Whether the warm-started QP engine can solve this problem exactly."""
    c = spec.constraints
    return (
        spec.solver == "auto"
        and objective in FAST_OBJECTIVES
        and not spec.penalties.any
        and set(groups) <= FAST_GROUPS
        and c.cash_min == c.cash_max
    )


def _quadratic(objective: str, inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    if objective == "projection":
        return 2.0 * np.eye(inputs.n), -2.0 * inputs.target
    S = inputs.dense_covariance
    if objective == "mean_variance":
        gamma = float(inputs.spec.param("risk_aversion"))
        return 2.0 * gamma * S, -inputs.mu
    if objective in ("min_variance", "target_return"):
        return 2.0 * S, np.zeros(inputs.n)
    b = inputs.benchmark  # min_tracking_error: (w - b)' S (w - b)
    return 2.0 * S, -2.0 * (S @ b)


def solve_fast(objective: str, inputs: Inputs, groups: tuple[str, ...]) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Solve with DAQP; returns (weights, CASH, diagnostics) or raises :class:`FastPathFailed`."""
    import daqp

    n = inputs.n
    c = inputs.spec.constraints
    cash = float(c.cash_min)
    H, f = _quadratic(objective, inputs)
    lo, hi = np.zeros(n), np.ones(n)
    if "bounds" in groups:
        lo, hi = np.maximum(lo, inputs.lower), np.minimum(hi, inputs.upper)
    if "liquidity" in groups:
        hi = np.minimum(hi, inputs.liquidity_upper)
    if (lo > hi).any():
        raise FastPathFailed("empty bounds")
    rows, rlo, rhi, sense = [np.ones(n)], [1.0 - cash], [1.0 - cash], [_EQ]
    if "theme_caps" in groups:
        for row, cap in zip(inputs.theme_matrix, inputs.theme_caps):
            rows.append(row), rlo.append(-_INF), rhi.append(float(cap)), sense.append(_INEQ)
    if "stablecoin" in groups:
        s_lo = (c.stablecoin_min or 0.0) - cash
        s_hi = (1.0 if c.stablecoin_max is None else c.stablecoin_max) - cash
        rows.append(inputs.stable), rlo.append(s_lo), rhi.append(s_hi), sense.append(_INEQ)
    if objective == "target_return":  # scores . w >= required return
        rows.append(inputs.mu), rlo.append(inputs.required_return), rhi.append(_INF), sense.append(_INEQ)
    A = np.vstack(rows)
    bu = np.concatenate([hi, rhi])
    bl = np.concatenate([lo, rlo])
    sense_arr = np.concatenate([np.zeros(n, dtype=np.int32), np.asarray(sense, dtype=np.int32)])
    key = (objective, tuple(inputs.ctx.assets), tuple(groups), len(rows))
    cache = active()
    start = cache.get(_WARM, key)
    t0 = time.perf_counter()
    kwargs = dict(DAQP_SETTINGS)
    if start is not None:
        kwargs["primal_start"] = start
    try:
        x, fval, flag, info = daqp.solve(H, f, A, bu, bl, sense_arr, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any solver failure falls back to cvxpy
        raise FastPathFailed(f"DAQP raised {exc!r}") from exc
    if flag not in (1, 2) or x is None or not np.isfinite(x).all():
        cache.pop(_WARM, key)
        raise FastPathFailed(f"DAQP exit flag {flag}")
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
