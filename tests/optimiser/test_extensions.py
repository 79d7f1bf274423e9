"""User constraints (linear data, cvxpy callables) and user objectives from outside the package bind.

The extensions live in ``tests/optimiser/user_extensions.py``; each test shows
the constraint or objective changes the weights as it should, on the fast
back ends (DAQP, direct Clarabel) and on cvxpy, and that bad input names the
field, asset or group.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

import indexer
from indexer._typing import CASH
from indexer.exceptions import ConfigError, OptimisationError
from indexer.optimiser import OptimiserSpec, WeighContext, optimise, register_objective, solve
from optimiser import user_extensions as ext

TOL = 1e-8
MAJORS = {"assets": {"BTC": 1, "ETH": 1}, "min": 0.4, "name": "majors"}


@pytest.fixture(scope="module")
def ctx(window, registry, caps_volume) -> WeighContext:
    mc, _ = caps_volume
    assets = tuple(window.columns)
    scores = pd.Series(np.linspace(0.9, 0.1, len(assets)), index=assets)
    return WeighContext(assets=assets, returns=window, scores=scores, market_cap=mc[list(assets)], registry=registry)


def run(ctx: WeighContext, objective: str = "mean_variance", solver: str = "auto", **cons):
    return solve(OptimiserSpec(objective=objective, constraints={"max_weight": 0.3, **cons}, solver=solver), ctx)


def majors(w: pd.Series) -> float:
    return float(w["BTC"] + w["ETH"])


def agree(fast, slow) -> None:
    """Same optimum from two back ends: objective within 1e-8; weights within 1e-4 (the flat directions of a
    binding row leave interior-point weights ~1e-5 apart on these real returns, as in the peer comparison)."""
    assert fast.diagnostics["objective_value"] == pytest.approx(slow.diagnostics["objective_value"], abs=1e-8)
    assert np.abs(fast.weights.to_numpy() - slow.weights.to_numpy()).max() < 1e-4


# -- linear constraints as data -------------------------------------------------------------------------------------
@pytest.mark.parametrize("cash_max,engine", [(0.0, "daqp"), (0.2, "clarabel_direct")])
def test_linear_floor_by_asset_binds_on_fast_and_cvxpy_back_ends(ctx, cash_max: float, engine: str) -> None:
    free = run(ctx, cash_max=cash_max).weights
    assert majors(free) < 0.4 - 1e-3  # the floor is not met without the constraint
    fast = run(ctx, cash_max=cash_max, linear=[MAJORS])
    slow = run(ctx, cash_max=cash_max, linear=[MAJORS], solver="CLARABEL")
    assert fast.diagnostics["engine"].startswith(engine) and slow.diagnostics["engine"] == "cvxpy"
    assert "linear" in fast.diagnostics["constraints"]
    assert majors(fast.weights) == pytest.approx(0.4, abs=TOL)  # binds at the floor
    assert majors(slow.weights) == pytest.approx(0.4, abs=1e-7)
    agree(fast, slow)
    assert fast.weights.drop(CASH).max() <= 0.3 + TOL


def test_linear_cap_by_group_equals_the_theme_cap(ctx, registry) -> None:
    defi = [a for a in ctx.assets if a in set(registry.with_theme("defi"))]
    free = run(ctx).weights
    assert free[defi].sum() > 0.03  # DeFi is over the cap without it
    by_group = run(ctx, linear=[{"group": "defi", "max": 0.02}])
    by_theme = run(ctx, theme_caps={"defi": 0.02})
    assert by_group.weights[defi].sum() == pytest.approx(0.02, abs=TOL)
    np.testing.assert_allclose(by_group.weights.to_numpy(), by_theme.weights.to_numpy(), atol=1e-9)
    slow = run(ctx, linear=[{"group": "defi", "max": 0.02}], solver="CLARABEL")
    assert slow.weights[defi].sum() == pytest.approx(0.02, abs=1e-7)
    agree(by_group, slow)


def test_linear_matrix_form_equals_the_mapping_form(window) -> None:
    mu = pd.Series(np.linspace(0.9, 0.1, window.shape[1]), index=window.columns)
    A = pd.DataFrame({"BTC": [-1.0, 0.0], "ETH": [-1.0, 0.0], "BNB": [0.0, 1.0], CASH: [0.0, 0.0]},
                     index=["majors_floor", "bnb_cap"])
    b = pd.Series([-0.4, 0.2], index=A.index)
    w = optimise(mu, window, risk_aversion=1.0, max_weight=0.3, linear=(A, b))
    rows = [{"assets": {"BTC": -1, "ETH": -1}, "max": -0.4}, {"assets": {"BNB": 1}, "max": 0.2}]
    w2 = optimise(mu, window, risk_aversion=1.0, max_weight=0.3, linear=rows)
    np.testing.assert_allclose(w.to_numpy(), w2.to_numpy(), atol=1e-12)
    assert majors(w) == pytest.approx(0.4, abs=TOL) and w["BNB"] == pytest.approx(0.2, abs=TOL)
    assert optimise(mu, window, risk_aversion=1.0, max_weight=0.3)["BNB"] > 0.25  # the BNB cap binds


def test_linear_rows_hold_in_a_ratio_objective(ctx) -> None:
    free = run(ctx, "max_sharpe").weights
    assert majors(free) < 0.4
    res = run(ctx, "max_sharpe", linear=[MAJORS])
    assert res.diagnostics["engine"] == "cvxpy"
    assert majors(res.weights) == pytest.approx(0.4, abs=1e-7)


# -- cvxpy callables -----------------------------------------------------------------------------------------------
def test_callable_constraint_binds_and_matches_its_data_form(ctx) -> None:
    free = run(ctx).weights
    assert free["ETH"] < free["BTC"] + 0.05
    spec = OptimiserSpec(objective="mean_variance", constraints={"max_weight": 0.3, "custom": [ext.eth_over_btc]})
    res = solve(spec, ctx)
    assert res.diagnostics["engine"] == "cvxpy" and res.diagnostics["constraints"][-1] == "custom"
    assert res.weights["ETH"] - res.weights["BTC"] == pytest.approx(0.05, abs=1e-7)
    data = run(ctx, linear=[{"assets": {"ETH": 1, "BTC": -1}, "min": 0.05}])  # the same row as data: DAQP
    assert data.diagnostics["engine"].startswith("daqp")
    agree(data, res)


def test_add_constraints_through_optimise(window) -> None:
    mu = pd.Series(np.linspace(0.1, 0.9, window.shape[1]), index=window.columns)  # BTC is first: lowest score
    plain = optimise(mu, window, risk_aversion=1.0, max_weight=0.35)
    assert plain["BTC"] < 0.3
    w = optimise(mu, window, risk_aversion=1.0, max_weight=0.35, add_constraints=ext.btc_at_least_30)
    assert w["BTC"] == pytest.approx(0.3, abs=1e-7)
    sharpe = optimise(mu, window, "max_sharpe", max_weight=0.35, add_constraints=[ext.btc_at_least_30])
    assert sharpe["BTC"] == pytest.approx(0.3, abs=1e-7)  # ctx.scaled keeps the bound in a ratio objective


def test_strategy_file_names_custom_and_linear_constraints(reference) -> None:
    s = indexer.Strategy.from_dict({
        "name": "user_constraints",
        "universe": {"top_n": 8, "min_history_days": 120},
        "estimation_window": 120,
        "optimiser": {"objective": "min_variance", "constraints": {
            "max_weight": 0.4,
            "linear": [{"name": "majors", "assets": {"BTC": 1, "ETH": 1}, "min": 0.5}],
            "custom": ["optimiser.user_extensions.eth_over_btc"]}},
    })
    tp = s.target(reference, "2024-06-30")
    w = tp.weights
    assert w["BTC"] + w["ETH"] >= 0.5 - 1e-7 and w["ETH"] - w["BTC"] >= 0.05 - 1e-7
    plain = indexer.Strategy.from_dict({**s.spec.model_dump(mode="json"), "optimiser": {
        "objective": "min_variance", "constraints": {"max_weight": 0.4}}}).target(reference, "2024-06-30").weights
    assert plain["BTC"] + plain["ETH"] < 0.5  # the floor binds
    dumped = s.spec.model_dump(mode="json")["optimiser"]["constraints"]
    assert dumped["custom"] == ["optimiser.user_extensions.eth_over_btc"] and dumped["linear"][0]["min"] == 0.5


# -- registered objectives ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("solver,engine", [("auto", "daqp"), ("CLARABEL", "cvxpy")])
def test_registered_data_objective_runs_on_every_back_end(ctx, solver: str, engine: str) -> None:
    flat = solve(OptimiserSpec(objective="test_tilted_min_variance", constraints={"max_weight": 0.3}, solver=solver), ctx)
    minvar = solve(OptimiserSpec(objective="min_variance", constraints={"max_weight": 0.3}), ctx)
    assert flat.diagnostics["engine"].startswith(engine)
    np.testing.assert_allclose(flat.weights.to_numpy(), minvar.weights.to_numpy(), atol=1e-6)  # tilt 0 = min variance
    # w'Sw - tilt mu.w has the minimiser of mu.w - (1/tilt) w'Sw: mean-variance with risk aversion 1/tilt
    tilted = solve(OptimiserSpec(objective="test_tilted_min_variance", params={"tilt": 0.5},
                                 constraints={"max_weight": 0.3}, solver=solver), ctx)
    mv = solve(OptimiserSpec(objective="mean_variance", params={"risk_aversion": 2.0}, constraints={"max_weight": 0.3}), ctx)
    np.testing.assert_allclose(tilted.weights.to_numpy(), mv.weights.to_numpy(), atol=1e-6)
    assert np.abs(tilted.weights.to_numpy() - flat.weights.to_numpy()).max() > 0.05


def test_registered_cvxpy_objective_with_a_data_constraint(ctx) -> None:
    n = ctx.n
    even = solve(OptimiserSpec(objective="test_least_squares"), ctx).weights
    np.testing.assert_allclose(even.drop(CASH).to_numpy(), np.full(n, 1 / n), atol=1e-7)
    floored = solve(OptimiserSpec(objective="test_least_squares", constraints={"linear": [
        {"assets": {"BTC": 1}, "min": 0.3}]}), ctx)
    assert floored.diagnostics["engine"] == "cvxpy"
    assert floored.weights["BTC"] == pytest.approx(0.3, abs=1e-7)
    np.testing.assert_allclose(floored.weights.drop([CASH, "BTC"]).to_numpy(), np.full(n - 1, 0.7 / (n - 1)), atol=1e-7)


def test_registered_closed_form_and_dotted_path(ctx, caps_volume) -> None:
    mc = caps_volume[0][list(ctx.assets)]
    top = list(mc.sort_values(ascending=False).index[:3])
    w = solve(OptimiserSpec(objective="test_two_largest", params={"k": 3}), ctx).weights
    assert w[top].to_numpy() == pytest.approx([1 / 3] * 3, abs=1e-12) and w.drop(top).sum() == 0
    by_path = solve(OptimiserSpec(objective="optimiser.user_extensions.two_largest", params={"k": 3}), ctx).weights
    pd.testing.assert_series_equal(w, by_path)
    capped = solve(OptimiserSpec(objective="test_two_largest", params={"k": 3}, constraints={"max_weight": 0.25,
                                                                                            "cash_max": 0.25}), ctx)
    assert capped.weights[top].to_numpy() == pytest.approx([0.25] * 3) and capped.weights[CASH] == pytest.approx(0.25)


# -- bad input -----------------------------------------------------------------------------------------------------
def test_bad_linear_constraints_name_the_field(window, registry) -> None:
    mu = pd.Series(0.3, index=window.columns)
    A = pd.DataFrame({"BTC": [1.0, 1.0]}, index=["a", "b"])
    with pytest.raises(ConfigError, match=r"A has 2 rows but b has 3 values"):
        optimise(mu, window, linear=(A, [0.1, 0.2, 0.3]))
    with pytest.raises(ConfigError, match=r"constraints.linear\[0\] \(BTC \+ NOPE\) names \['NOPE'\], not among"):
        optimise(mu, window, linear=[{"assets": {"BTC": 1, "NOPE": 1}, "max": 0.5}])
    with pytest.raises(OptimisationError, match=r"constraints.linear\[0\].group: unknown group 'nosuchtheme'"):
        optimise(mu, window, registry=registry, linear=[{"group": "nosuchtheme", "max": 0.5}])
    with pytest.raises(OptimisationError, match=r"group 'defi' needs WeighContext.registry"):
        optimise(mu, window, linear=[{"group": "defi", "max": 0.5}])
    with pytest.raises(ConfigError, match="needs min or max"):
        optimise(mu, window, linear=[{"assets": {"BTC": 1}}])
    with pytest.raises(ConfigError, match="exactly one of assets"):
        optimise(mu, window, linear=[{"assets": {"BTC": 1}, "group": "defi", "max": 0.2}])
    with pytest.raises(ConfigError, match="min 0.5 > max 0.2"):
        optimise(mu, window, linear=[{"assets": {"BTC": 1}, "min": 0.5, "max": 0.2}])
    with pytest.raises(ConfigError, match="coefficient of BTC must be a finite number"):
        optimise(mu, window, linear=[{"assets": {"BTC": float("nan")}, "max": 0.2}])


def test_infeasible_linear_constraint_is_blamed(window) -> None:
    mu = pd.Series(0.3, index=window.columns)
    with pytest.raises(OptimisationError, match=r"bounds \(min_weight=0.0, max_weight=0.3\) and linear "
                                                r"\(btc_half: 0.5 <= BTC\) cannot both be met"):
        optimise(mu, window, max_weight=0.3, linear=[{"name": "btc_half", "assets": {"BTC": 1}, "min": 0.5}])
    with pytest.raises(OptimisationError, match=r"linear \(1.2 <= BTC \+ ETH\) cannot be met with cash"):
        optimise(mu, window, linear=[{"assets": {"BTC": 1, "ETH": 1}, "min": 1.2}])


def test_bad_custom_constraints_name_the_callable(window) -> None:
    mu = pd.Series(0.3, index=window.columns)
    with pytest.raises(OptimisationError, match=r"custom constraint optimiser.user_extensions.not_a_constraint must "
                                                r"return cvxpy constraint"):
        optimise(mu, window, add_constraints=ext.not_a_constraint)
    with pytest.raises(OptimisationError, match="not convex"):
        optimise(mu, window, add_constraints=ext.not_convex)
    with pytest.raises(ConfigError, match=r"custom\[0\]: custom constraint 'nosuch.module.fn': cannot import 'fn'"):
        optimise(mu, window, constraints={"custom": ["nosuch.module.fn"]})
    with pytest.raises(ConfigError, match="give a dotted path"):
        optimise(mu, window, constraints={"custom": ["fn"]})


def test_bad_objective_registration_and_names() -> None:
    with pytest.raises(ConfigError, match="'test_least_squares' is already registered"):
        register_objective("test_least_squares", kind="cvxpy")(lambda w, ctx: w)
    with pytest.raises(ConfigError, match="kind 'qp'; allowed: terms, cvxpy, closed_form"):
        register_objective("x", kind="qp")
    with pytest.raises(ValueError, match=r"cannot import 'nope' from 'optimiser.user_extensions'"):
        OptimiserSpec(objective="optimiser.user_extensions.nope")
    with pytest.raises(ValueError, match="not_convex' is neither an Objective"):
        OptimiserSpec(objective="optimiser.user_extensions.not_convex")
    with pytest.raises(ValueError, match=r"objective 'test_tilted_min_variance' has no parameter\(s\) \['tlit'\]"):
        OptimiserSpec(objective="test_tilted_min_variance", params={"tlit": 1.0})
    with pytest.raises(ValueError, match="params.tilt of objective 'test_tilted_min_variance' must be a finite number"):
        OptimiserSpec(objective="test_tilted_min_variance", params={"tilt": "high"})


def test_closed_form_returning_bad_weights_is_named(ctx) -> None:
    @register_objective("test_bad_closed_form", kind="closed_form")
    def bad(c):  # noqa: ANN001, ANN202
        return np.ones(c.n + 1)

    with pytest.raises(OptimisationError, match=r"objective 'test_bad_closed_form' must return \d+ finite weights"):
        solve(OptimiserSpec(objective="test_bad_closed_form"), ctx)


def test_cvxpy_objective_reading_data_is_rebuilt_for_new_data(window) -> None:
    """A user's cvxpy objective that bakes data into its expression is not re-used with other data."""
    @register_objective("test_nearest_to_scores", kind="cvxpy")
    def nearest(w, c):  # noqa: ANN001, ANN202 - the scores enter as constants
        return cp.sum_squares(w - c.inputs.mu / c.inputs.mu.sum())

    assets = ["BTC", "ETH", "SOL"]
    for target in ([0.5, 0.3, 0.2], [0.1, 0.2, 0.7]):
        w = optimise(pd.Series(target, index=assets), window[assets], "test_nearest_to_scores")
        assert w[assets].to_numpy() == pytest.approx(target, abs=1e-7)
