"""Objective terms: small callables ``(w, b) -> cvxpy expression`` to minimise.

``w`` is the asset-weight variable (scaled by ``b.scale`` in homogeneous
mode), ``b`` the :class:`~indexer.optimiser.build.Build`.  All risk terms use
the annualised covariance ``S`` of the chosen risk model.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import cvxpy as cp
import numpy as np

from indexer.optimiser.build import Build

__all__ = ["Objective", "OBJECTIVE_TERMS", "mean_variance", "min_variance", "max_sharpe", "risk_parity",
           "min_cvar", "max_diversification", "min_tracking_error", "target_return", "max_return",
           "projection", "feasibility", "penalties"]


def mean_variance(w: cp.Variable, b: Build) -> cp.Expression:
    """``-(scores . w) + risk_aversion * w'Sw`` (i.e. maximise the mean-variance utility)."""
    mu = b.param("mu", b.n, lambda i: i.mu)
    return -(mu @ w) + b.variance(w, lambda i: float(i.spec.param("risk_aversion")), tag="_mv")


def min_variance(w: cp.Variable, b: Build) -> cp.Expression:
    """``w'Sw``."""
    return b.variance(w)


def target_return(w: cp.Variable, b: Build) -> cp.Expression:
    """``w'Sw`` subject to ``scores . w >= required_return`` (annual fractions, CASH earning 0)."""
    mu = b.param("mu", b.n, lambda i: i.mu)
    required = b.param("required_return", (), lambda i: i.required_return)
    b.extra.append(mu @ w >= required)
    return b.variance(w)


def max_return(w: cp.Variable, b: Build) -> cp.Expression:
    """``-(scores . w)``: the highest expected return the constraints allow (reported when a target is unreachable)."""
    return -(b.param("mu", b.n, lambda i: i.mu) @ w)


def max_sharpe(w: cp.Variable, b: Build) -> cp.Expression:
    """Homogenised maximum Sharpe: minimise ``y'Sy`` s.t. ``(mu - rf) . y = 1``; weights ``y / scale``."""
    ex = b.param("excess_mu", b.n, lambda i: i.excess_mu)
    b.extra.append(ex @ w == 1)
    return b.variance(w)


def max_diversification(w: cp.Variable, b: Build) -> cp.Expression:
    """Homogenised maximum diversification ratio ``(vol . w) / sqrt(w'Sw)``: minimise ``y'Sy`` s.t. ``vol . y = 1``."""
    vol = b.param("vol", b.n, lambda i: i.vol, nonneg=True)
    b.extra.append(vol @ w == 1)
    return b.variance(w)


def risk_parity(w: cp.Variable, b: Build) -> cp.Expression:
    """Equal (or budgeted) risk contributions, convex log-barrier form.

    Minimise ``0.5 y'Sy - sum(budget_i log y_i)``; ``w = y / sum(y)`` has risk
    contributions ``w_i (Sw)_i`` proportional to the budgets (Spinu 2013).
    """
    budgets = b.param("budgets", b.n, _budgets, nonneg=True)
    return b.variance(w, lambda i: 0.5, tag="_half") - budgets @ cp.log(w)


def _budgets(i) -> np.ndarray:  # noqa: ANN001 - Inputs
    given = i.spec.param("budgets") if i.spec.objective == "risk_parity" else None
    if not given:
        return np.full(i.n, 1.0 / i.n)
    raw = np.array([float(given.get(a, 0.0)) for a in i.ctx.assets])
    return raw / raw.sum()


def min_cvar(w: cp.Variable, b: Build) -> cp.Expression:
    """Conditional value at risk of daily losses at level ``alpha`` (Rockafellar-Uryasev scenario LP)."""
    T = b.inputs.scenarios.shape[0]
    R = b.param("scenarios", (T, b.n), lambda i: i.scenarios)
    k = b.param("cvar_scale", (), lambda i: 1.0 / ((1.0 - float(i.spec.param("alpha"))) * T), nonneg=True)
    var = cp.Variable(name="var")
    u = cp.Variable(T, nonneg=True, name="excess_loss")
    b.extra.append(u >= -(R @ w) - var)
    return var + k * cp.sum(u)


def min_tracking_error(w: cp.Variable, b: Build) -> cp.Expression:
    """``(w - bench)' S (w - bench)`` (ex-ante tracking variance against benchmark weights)."""
    k = b.inputs.reduced.G.shape[0]
    G = b.param("G", (k, b.n), lambda i: i.reduced.G)
    Gb = b.param("G_bench", k, lambda i: i.reduced.G @ i.benchmark)
    expr = cp.sum_squares(G @ w - Gb)
    if np.any(b.inputs.factor.d > 0):
        sd = b.param("sqrt_d", b.n, lambda i: i.sqrt_d, nonneg=True)
        sdb = b.param("sqrt_d_bench", b.n, lambda i: i.sqrt_d * i.benchmark, nonneg=True)
        expr = expr + cp.sum_squares(cp.multiply(sd, w) - sdb)
    return expr


def projection(w: cp.Variable, b: Build) -> cp.Expression:
    """``||w - target||^2``: the nearest weights meeting the constraints (closed forms, risk parity)."""
    t = b.param("target", b.n, lambda i: i.target, nonneg=True)
    tc = b.param("target_cash", (), lambda i: i.target_cash, nonneg=True)
    return cp.sum_squares(w - t) + cp.square(b.cash - tc)


def feasibility(w: cp.Variable, b: Build) -> cp.Expression:
    """Zero: used to test which constraints can be met (blame search)."""
    return cp.Constant(0.0)


def penalties(w: cp.Variable, b: Build) -> cp.Expression:
    """Turnover (``lambda ||w - previous||_1``, CASH included) plus proportional transaction costs."""
    t, tc = b.trades()
    lam = b.param("turnover_penalty", (), lambda i: float(i.spec.penalties.turnover), nonneg=True)
    cost = b.param("trade_cost", b.n, lambda i: i.cost + float(i.spec.penalties.turnover), nonneg=True)
    return cost @ t + lam * tc


class Objective(NamedTuple):
    """An objective term and how its problem is framed."""

    term: Callable[[cp.Variable, Build], cp.Expression]
    mode: str  # "budget", "homogeneous" or "free"
    uses_risk: bool
    uses_scenarios: bool = False


OBJECTIVE_TERMS: dict[str, Objective] = {
    "mean_variance": Objective(mean_variance, "budget", True),
    "min_variance": Objective(min_variance, "budget", True),
    "max_sharpe": Objective(max_sharpe, "homogeneous", True),
    "risk_parity": Objective(risk_parity, "free", True),
    "min_cvar": Objective(min_cvar, "budget", False, True),
    "max_diversification": Objective(max_diversification, "homogeneous", True),
    "min_tracking_error": Objective(min_tracking_error, "budget", True),
    "target_return": Objective(target_return, "budget", True),
    "max_return": Objective(max_return, "budget", False),
    "projection": Objective(projection, "budget", False),
    "feasibility": Objective(feasibility, "budget", False),
}
