"""Target-return mode (optimiser objective ``target_return``): minimum variance for a required return,
checked against a direct cvxpy solve."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

from indexer import CASH
from indexer.data import Asset, AssetRegistry, MarketData
from indexer.exceptions import ConfigError, OptimisationError
from indexer.optimiser import UnreachableReturn
from indexer.strategy import Strategy


@pytest.fixture(scope="module")
def data() -> MarketData:
    rng = np.random.default_rng(7)
    n = 400
    idx = pd.date_range("2022-01-01", periods=n, freq="D", tz="UTC", name="timestamp")
    drift = np.array([0.004, 0.002, 0.001, 0.0015])
    vol = np.array([0.06, 0.04, 0.02, 0.03])
    common = rng.normal(0, 0.02, (n, 1))
    r = drift + common + rng.normal(0, 1, (n, 4)) * vol
    close = pd.DataFrame(100 * np.cumprod(1 + r, axis=0), index=idx, columns=pd.Index(list("ABCD"), name="asset"))
    caps = close * np.array([4e9, 3e9, 2e9, 1e9])
    reg = AssetRegistry(Asset(s, s, "currency") for s in "ABCD")
    return MarketData(close=close, volume=close * 0 + 1e8, market_cap=caps, assets=reg)


def _doc(required: float, fallback: list[str] | None = None, **params) -> dict:
    return {
        "name": "tr",
        "universe": {"min_history_days": 100},
        "optimiser": {"objective": "target_return", "params": {"required_return": required, **params},
                      "risk_model": {"name": "sample"}, "constraints": {"max_weight": 0.6, "cash_max": 1.0},
                      "fallback": fallback or []},
        "estimation_window": 365,
    }


def _direct(data: MarketData, required: float) -> tuple[float, np.ndarray]:
    """min w'Sw s.t. mu.w >= required, 0 <= w <= 0.6, sum(w) <= 1 (rest CASH), on the same window."""
    r = data.close.pct_change().iloc[-365:]
    mu = r.mean().to_numpy() * 365
    S = np.cov(r.to_numpy(), rowvar=False, ddof=1) * 365
    w = cp.Variable(4)
    prob = cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(S))), [mu @ w >= required, w >= 0, w <= 0.6, cp.sum(w) <= 1])
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return float(prob.value), np.asarray(w.value)


@pytest.mark.parametrize("required", [0.2, 0.5, 0.8])
def test_minimum_variance_for_required_return(data: MarketData, required: float) -> None:
    s = Strategy.from_dict(_doc(required))
    tp = s.target(data, data.end)
    info = tp.diagnostics["optimiser"]["target_return"]
    assert info["status"] == "met"
    r = data.close.pct_change().iloc[-365:]
    mu = r.mean() * 365
    w = tp.weights.drop(CASH)
    assert float(mu @ w) >= required - 1e-8
    assert float(mu @ w) == pytest.approx(required, abs=1e-8)  # the return constraint binds
    assert float(mu @ w) == pytest.approx(info["expected_return"], abs=1e-12)
    S = r.cov().to_numpy() * 365
    var = float(w.to_numpy() @ S @ w.to_numpy())
    best, wd = _direct(data, required)
    assert var <= best * (1 + 1e-6) + 1e-10
    assert var >= best * (1 - 1e-6) - 1e-10
    assert np.abs(w.to_numpy() - wd).max() < 1e-5


def test_unreachable_and_trivially_met(data: MarketData) -> None:
    tp = Strategy.from_dict(_doc(50.0, if_unreachable="max_return")).target(data, data.end)
    info = tp.diagnostics["optimiser"]["target_return"]
    assert info["status"] == "unreachable" and info["expected_return"] < 50.0
    assert info["expected_return"] == pytest.approx(info["max_return"], abs=1e-7)
    tp = Strategy.from_dict(_doc(-0.5)).target(data, data.end)
    assert tp.diagnostics["optimiser"]["target_return"]["status"] == "met_by_least_risky"
    assert tp.cash > 0.9  # the least risky portfolio is nearly all CASH


def test_unreachable_error_names_strategy_and_return_constraint(data: MarketData) -> None:
    with pytest.raises(UnreachableReturn, match=r"strategy tr at .*return constraint unreachable.*required_return 50") as err:
        Strategy.from_dict(_doc(50.0)).target(data, data.end)
    assert isinstance(err.value, OptimisationError) and 0 < err.value.max_return < 50
    tp = Strategy.from_dict(_doc(50.0, fallback=["equal_weight"])).target(data, data.end)
    d = tp.diagnostics["optimiser"]
    assert d["fallback"] == "equal_weight" and d["target_return"]["status"] == "unreachable"
    assert d["target_return"]["max_return"] == pytest.approx(err.value.max_return)


def test_config_errors() -> None:
    doc = _doc(0.3)
    doc["target_return"] = {"required_return": 0.3}
    with pytest.raises(ConfigError, match=r"target_return.*objective: target_return, params: \{required_return: 0.3\}"):
        Strategy.from_dict(doc)
    doc = _doc(0.3)
    del doc["optimiser"]["params"]["required_return"]
    with pytest.raises(ConfigError, match=r"optimiser.*needs params.required_return"):
        Strategy.from_dict(doc)
