"""``target_return``: minimum variance for a required expected return, on real returns."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

from indexer._typing import CASH
from indexer.exceptions import ConfigError, OptimisationError
from indexer.optimiser import OptimiserSpec, WeighContext, covariance, optimise, solve
from indexer.optimiser.spec import RiskModelSpec
from indexer.optimiser.target import UnreachableReturn

ASSETS = ["BTC", "ETH", "SOL", "BNB", "XRP", "ADA", "DOGE", "LINK"]
#: Engines: warm DAQP (fixed CASH), direct Clarabel (CASH range), cached cvxpy DPP problem.
ENGINES = {
    "daqp": dict(solver="auto", cash_max=0.0),
    "clarabel_direct": dict(solver="auto", cash_max=0.5),
    "cvxpy": dict(solver="CLARABEL", cash_max=0.5),
}


@pytest.fixture(scope="module")
def problem(window):
    r = window[ASSETS]
    mu = pd.Series(np.linspace(0.9, -0.2, len(ASSETS)), index=ASSETS)  # annual expected returns
    S = covariance(r.to_numpy(), RiskModelSpec(name="sample"))
    return r, mu, S


def _weigh(r, mu, required, *, solver="auto", cash_max=0.0, max_weight=0.35, fallback=(), **params):
    spec = OptimiserSpec(objective="target_return", params={"required_return": required, **params},
                         risk_model={"name": "sample"}, solver=solver, fallback=list(fallback),
                         constraints={"max_weight": max_weight, "cash_max": cash_max})
    return solve(spec, WeighContext(assets=tuple(ASSETS), returns=r, scores=mu))


def _direct(S, mu, required, cash_max, max_weight=0.35):
    """min w'Sw s.t. mu.w >= required, 0 <= w <= max_weight, 1 - cash_max <= sum(w) <= 1."""
    w = cp.Variable(len(mu))
    cons = [mu.to_numpy() @ w >= required, w >= 0, w <= max_weight, cp.sum(w) <= 1, cp.sum(w) >= 1 - cash_max]
    prob = cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(S))), cons)
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return float(prob.value), np.asarray(w.value)


def _max_return(mu, cash_max, max_weight=0.35):
    w = cp.Variable(len(mu))
    prob = cp.Problem(cp.Maximize(mu.to_numpy() @ w),
                      [w >= 0, w <= max_weight, cp.sum(w) <= 1, cp.sum(w) >= 1 - cash_max])
    prob.solve(solver="CLARABEL")
    return float(prob.value)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_return_constraint_binds_and_matches_direct_solve(problem, engine: str) -> None:
    r, mu, S = problem
    kw = ENGINES[engine]
    free = _weigh(r, mu, -0.99, **kw).weights.drop(CASH)
    r_minvar = float(mu @ free)
    required = 0.5 * (r_minvar + _max_return(mu, kw["cash_max"]))
    assert required > r_minvar + 0.05  # the unconstrained minimum variance portfolio falls short
    res = _weigh(r, mu, required, **kw)
    w = res.weights.drop(CASH)
    info = res.diagnostics["target_return"]
    assert abs(float(mu @ w) - required) < 1e-8
    assert info["status"] == "met" and info["expected_return"] == pytest.approx(float(mu @ w), abs=1e-14)
    assert (w <= 0.35 + 1e-9).all() and (w >= -1e-12).all() and res.weights[CASH] <= kw["cash_max"] + 1e-9
    best, wd = _direct(S, mu, required, kw["cash_max"])
    var = float(w.to_numpy() @ S @ w.to_numpy())
    assert var == pytest.approx(best, rel=1e-6)
    assert np.abs(w.to_numpy() - wd).max() < 1e-5
    assert info["volatility"] == pytest.approx(np.sqrt(var), rel=1e-6)
    if engine == "cvxpy":
        assert res.diagnostics["engine"] == "cvxpy"
    else:
        assert res.diagnostics["engine"].startswith(engine.split("_")[0])


def test_not_binding_gives_minimum_variance(problem) -> None:
    r, mu, _ = problem
    res = _weigh(r, mu, -0.5)
    mv = solve(OptimiserSpec(objective="min_variance", risk_model={"name": "sample"}, constraints={"max_weight": 0.35}),
               WeighContext(assets=tuple(ASSETS), returns=r, scores=mu))
    assert res.diagnostics["target_return"]["status"] == "met_by_least_risky"
    assert np.abs(res.weights.to_numpy() - mv.weights.to_numpy()).max() < 1e-7


@pytest.mark.parametrize("engine", list(ENGINES))
def test_unreachable_target_names_return_constraint(problem, engine: str) -> None:
    r, mu, _ = problem
    kw = ENGINES[engine]
    best = _max_return(mu, kw["cash_max"])
    with pytest.raises(UnreachableReturn, match=r"return constraint unreachable: required_return 2 .*highest "
                       r"expected return 0\.\d+ .*bounds \(min_weight=0.0, max_weight=0.35\)") as err:
        _weigh(r, mu, 2.0, **kw)
    assert isinstance(err.value, OptimisationError)
    assert err.value.max_return == pytest.approx(best, abs=1e-7)


def test_unreachable_uses_fallback_chain(problem) -> None:
    r, mu, _ = problem
    res = _weigh(r, mu, 2.0, fallback=["equal_weight"])
    assert res.diagnostics["fallback"] == "equal_weight"
    assert "return constraint unreachable" in res.diagnostics["error"]
    info = res.diagnostics["target_return"]
    assert info["status"] == "unreachable" and info["held"] == "fallback"
    assert info["expected_return"] == pytest.approx(float(mu.mean()), abs=1e-12)
    assert res.weights.drop(CASH).to_numpy() == pytest.approx(np.full(len(ASSETS), 1 / len(ASSETS)))


def test_unreachable_can_hold_the_highest_return(problem) -> None:
    r, mu, S = problem
    res = _weigh(r, mu, 2.0, cash_max=0.5, if_unreachable="max_return")
    info = res.diagnostics["target_return"]
    best = _max_return(mu, 0.5)
    assert info["status"] == "unreachable" and info["held"] == "max_return"
    assert info["max_return"] == pytest.approx(best, abs=1e-7)
    assert info["expected_return"] == pytest.approx(best, abs=1e-7)
    assert res.diagnostics["fallback"] is None


def test_infeasible_constraints_still_blamed_by_group(problem) -> None:
    r, mu, _ = problem
    with pytest.raises(OptimisationError, match=r"bounds .*max_weight=0.05.* cannot be met") as err:
        _weigh(r, mu, 0.1, max_weight=0.05)
    assert not isinstance(err.value, UnreachableReturn)


def test_historical_mean_without_scores(window) -> None:
    r = window[ASSETS]
    hist = r.mean() * 365
    required = float(hist.quantile(0.7))
    assert required > 0  # so it binds: the minimum variance portfolio (all CASH) earns 0
    w = optimise(returns=r, objective="target_return", required_return=required, risk_model="sample",
                 max_weight=0.5, constraints={"cash_max": 1.0})
    assert w[CASH] > 0.05
    assert float(hist @ w.drop(CASH)) == pytest.approx(required, abs=1e-8)


def test_spec_errors_name_the_parameter() -> None:
    with pytest.raises(ConfigError, match="needs params.required_return"):
        optimise(returns=pd.DataFrame({"A": [0.0, 0.1]}), objective="target_return")
    with pytest.raises(ConfigError, match="if_unreachable 'hold'; allowed: error, max_return"):
        optimise(returns=pd.DataFrame({"A": [0.0, 0.1]}), objective="target_return", required_return=0.1,
                 if_unreachable="hold")
    with pytest.raises(ConfigError, match=r"annual fraction in \(-1, 100\)"):
        optimise(returns=pd.DataFrame({"A": [0.0, 0.1]}), objective="target_return", required_return=float("nan"))
