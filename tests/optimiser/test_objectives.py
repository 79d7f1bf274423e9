"""Convex objectives against closed forms and brute force on real returns."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from indexer._typing import CASH
from indexer.optimiser import OptimiserSpec, WeighContext, covariance, optimise, solve
from indexer.optimiser.spec import RiskModelSpec

SAMPLE = RiskModelSpec(name="sample")


def _w(res) -> np.ndarray:
    return res.weights.drop(CASH).to_numpy()


def test_two_asset_min_variance_matches_closed_form(window) -> None:
    r = window[["BTC", "ETH"]]
    S = covariance(r.to_numpy(), SAMPLE)
    a, b, c = S[0, 0], S[1, 1], S[0, 1]
    w1 = (b - c) / (a + b - 2 * c)
    for solver in ("auto", "CLARABEL"):
        w = optimise(returns=r, objective="min_variance", risk_model="sample", solver=solver)
        assert w["BTC"] == pytest.approx(w1, abs=1e-7) and w["ETH"] == pytest.approx(1 - w1, abs=1e-7)


def test_risk_parity_contributions_equal(window) -> None:
    assets = list(window.columns[:10])
    w = optimise(returns=window[assets], objective="risk_parity", risk_model="sample").drop(CASH).to_numpy()
    S = covariance(window[assets].to_numpy(), SAMPLE)
    rc = w * (S @ w) / (w @ S @ w)
    assert np.abs(rc - 1 / len(assets)).max() < 1e-4
    assert w.sum() == pytest.approx(1.0, abs=1e-12)


def test_risk_parity_budgets(window) -> None:
    assets = ["BTC", "ETH", "SOL"]
    budgets = {"BTC": 0.5, "ETH": 0.3, "SOL": 0.2}
    w = optimise(returns=window[assets], objective="risk_parity", risk_model="sample", budgets=budgets)
    w = w.drop(CASH).to_numpy()
    S = covariance(window[assets].to_numpy(), SAMPLE)
    rc = w * (S @ w) / (w @ S @ w)
    assert rc == pytest.approx([0.5, 0.3, 0.2], abs=1e-4)


def _simplex_grid(step: float):
    k = int(round(1 / step))
    for i, j in itertools.product(range(k + 1), repeat=2):
        if i + j <= k:
            yield np.array([i, j, k - i - j]) / k


def test_max_sharpe_beats_brute_force_grid(window) -> None:
    assets = ["BTC", "ETH", "SOL"]
    mu = pd.Series([0.30, 0.45, 0.60], index=assets)
    S = covariance(window[assets].to_numpy(), SAMPLE)
    w = optimise(mu, window[assets], "max_sharpe", risk_model="sample", risk_free=0.02).drop(CASH).to_numpy()

    def sharpe(x: np.ndarray) -> float:
        return float((mu.to_numpy() - 0.02) @ x / np.sqrt(x @ S @ x))

    grid = list(_simplex_grid(0.005))
    best = max(grid, key=sharpe)
    assert sharpe(w) >= sharpe(best) - 1e-9
    assert np.abs(w - best).max() <= 0.01  # within two grid steps of the grid optimum


def test_max_diversification_beats_grid(window) -> None:
    assets = ["BTC", "ETH", "DOGE"]
    S = covariance(window[assets].to_numpy(), SAMPLE)
    vol = np.sqrt(np.diag(S))
    w = optimise(returns=window[assets], objective="max_diversification", risk_model="sample").drop(CASH).to_numpy()

    def ratio(x: np.ndarray) -> float:
        return float(vol @ x / np.sqrt(x @ S @ x))

    assert ratio(w) >= max(ratio(g) for g in _simplex_grid(0.01)) - 1e-9


def test_min_cvar_is_lowest_among_candidates(window) -> None:
    assets = ["BTC", "ETH", "SOL"]
    X = window[assets].to_numpy()
    w = optimise(returns=window[assets], objective="min_cvar", alpha=0.9).drop(CASH).to_numpy()

    def cvar(x: np.ndarray) -> float:
        loss = -(X @ x)
        # Rockafellar-Uryasev function minimised over thresholds at the scenario losses (exact)
        t = np.sort(loss)
        return float((t + np.maximum(loss[None, :] - t[:, None], 0).mean(axis=1) / 0.1).min())

    best_grid = min(cvar(g) for g in _simplex_grid(0.02))
    assert cvar(w) <= best_grid + 1e-9


def test_tracking_error_recovers_feasible_benchmark(window, caps_volume) -> None:
    mc, _ = caps_volume
    assets = ["BTC", "ETH", "SOL", "ADA", "XRP"]
    w = optimise(returns=window[assets], objective="min_tracking_error", market_cap=mc[assets], risk_model="sample")
    bench = mc[assets] / mc[assets].sum()
    assert w.drop(CASH).to_numpy() == pytest.approx(bench.to_numpy(), abs=1e-6)
    # with a cap the benchmark is out of reach: capped names sit at the cap
    w = optimise(returns=window[assets], objective="min_tracking_error", market_cap=mc[assets],
                 risk_model="sample", max_weight=0.3)
    assert w.max() <= 0.3 + 1e-9 and w["BTC"] == pytest.approx(0.3, abs=1e-9)


def test_mean_variance_higher_aversion_lowers_risk(window) -> None:
    mu = pd.Series(np.linspace(0.1, 1.0, window.shape[1]), index=window.columns)
    S = covariance(window.to_numpy(), RiskModelSpec())
    risks = []
    for gamma in (0.5, 2.0, 8.0):
        w = optimise(mu, window, risk_aversion=gamma).drop(CASH).to_numpy()
        risks.append(w @ S @ w)
    assert risks[0] > risks[1] > risks[2]


@pytest.mark.parametrize("objective", ["mean_variance", "min_variance", "min_tracking_error"])
def test_fast_engine_agrees_with_cvxpy(window, registry, caps_volume, objective: str) -> None:
    mc, _ = caps_volume
    assets = tuple(window.columns)
    params = {"risk_aversion": 3.0} if objective == "mean_variance" else {}
    cons = {"max_weight": 0.2, "min_weight": 0.01, "theme_caps": {"defi": 0.15, "meme": 0.05}}
    ctx = WeighContext(assets=assets, returns=window, scores=pd.Series(0.3, index=assets) + window.mean() * 30,
                       market_cap=mc[list(assets)], registry=registry)
    fast = solve(OptimiserSpec(objective=objective, params=params, constraints=cons), ctx)
    slow = solve(OptimiserSpec(objective=objective, params=params, constraints=cons, solver="CLARABEL"), ctx)
    assert fast.diagnostics["engine"].startswith("daqp") and slow.diagnostics["engine"] == "cvxpy"
    assert np.abs(_w(fast) - _w(slow)).max() < 1e-6


def test_historical_mean_used_without_scores(window) -> None:
    res = solve(OptimiserSpec(objective="mean_variance"), WeighContext(assets=tuple(window.columns), returns=window))
    assert res.diagnostics["expected_returns"] == "historical_mean"


def test_resolve_reuses_cached_problem(window) -> None:
    from indexer.optimiser import cache_info

    spec = OptimiserSpec(objective="max_sharpe", constraints={"max_weight": 0.3})
    mu = pd.Series(0.5, index=window.columns)
    first = solve(spec, WeighContext(assets=tuple(window.columns), returns=window.iloc[:-7], scores=mu))
    before = cache_info()
    second = solve(spec, WeighContext(assets=tuple(window.columns), returns=window.iloc[7:], scores=mu))
    after = cache_info()
    assert after["problems"] == before["problems"] and after["solves"] == before["solves"] + 1
    assert not np.allclose(_w(first), _w(second))


@pytest.mark.parametrize("cons,pen", [
    ({"max_weight": 0.2, "turnover": 0.4}, {}),
    ({"max_weight": 0.2, "cash_max": 0.3, "stablecoin_max": 0.3}, {"turnover": 0.01, "transaction_cost": 0.002}),
    ({"max_weight": 0.25, "theme_caps": {"defi": 0.1}}, {"transaction_cost": {"BTC": 0.001}, "default_cost": 0.004}),
])
def test_direct_engine_agrees_with_cvxpy(window, registry, cons, pen) -> None:
    assets = tuple(window.columns)
    prev = pd.Series(1.0 / (len(assets) + 1), index=[*assets, CASH])
    ctx = WeighContext(assets=assets, returns=window, scores=pd.Series(np.linspace(0.8, 0.0, len(assets)), index=assets),
                       previous=prev, registry=registry)
    params = {"risk_aversion": 2.0}
    direct = solve(OptimiserSpec(objective="mean_variance", params=params, constraints=cons, penalties=pen), ctx)
    slow = solve(OptimiserSpec(objective="mean_variance", params=params, constraints=cons, penalties=pen,
                               solver="CLARABEL"), ctx)
    assert direct.diagnostics["engine"] == "clarabel_direct" and slow.diagnostics["engine"] == "cvxpy"
    assert np.abs(direct.weights.to_numpy() - slow.weights.to_numpy()).max() < 1e-6
