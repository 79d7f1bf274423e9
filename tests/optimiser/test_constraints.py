"""Every constraint honoured within 1e-8; infeasible configurations name their cause; fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer._typing import CASH
from indexer.exceptions import OptimisationError
from indexer.optimiser import OptimiserSpec, WeighContext, solve

TOL = 1e-8


@pytest.fixture(scope="module")
def base(window, registry, caps_volume):
    mc, vol = caps_volume
    assets = tuple(window.columns)
    scores = pd.Series(np.linspace(1.0, 0.1, len(assets)), index=assets)
    previous = pd.Series(1.0 / (len(assets) + 1), index=[*assets, CASH])
    return dict(assets=assets, returns=window, scores=scores, market_cap=mc[list(assets)],
                volume=vol[list(assets)].fillna(0.0), registry=registry, previous=previous)


def run(base, objective="mean_variance", params=None, **cons):
    fallback = cons.pop("fallback", [])
    penalties = cons.pop("penalties", {})
    solver = cons.pop("solver", "auto")
    ctx_kw = {k: cons.pop(k) for k in ("portfolio_value",) if k in cons}
    defaults = {"mean_variance": {"risk_aversion": 1.0}, "target_return": {"required_return": 0.5}}
    spec = OptimiserSpec(objective=objective, params=params or defaults.get(objective, {}),
                         constraints=cons, fallback=fallback, penalties=penalties, solver=solver)
    return solve(spec, WeighContext(**base, **ctx_kw))


def check_basic(w: pd.Series) -> None:
    assert np.isfinite(w.to_numpy()).all()
    assert (w >= -1e-9).all()
    assert w.sum() == pytest.approx(1.0, abs=1e-12)


OBJECTIVES = ["mean_variance", "min_variance", "target_return", "max_sharpe", "min_cvar", "max_diversification",
              "min_tracking_error", "risk_parity", "market_cap", "inverse_volatility"]


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_bounds_and_theme_caps(base, objective: str) -> None:
    w = run(base, objective, max_weight=0.15, min_weight=0.01, theme_caps={"defi": 0.1}).weights
    check_basic(w)
    inv = w.drop(CASH)
    assert inv.max() <= 0.15 + TOL and inv.min() >= 0.01 - TOL
    defi = [a for a in inv.index if a in set(base["registry"].with_theme("defi"))]
    assert defi and inv[defi].sum() <= 0.1 + TOL


def test_per_asset_bounds(base) -> None:
    w = run(base, per_asset={"BTC": {"min": 0.3, "max": 0.4}, "ETH": {"max": 0.05}}).weights
    assert 0.3 - TOL <= w["BTC"] <= 0.4 + TOL and w["ETH"] <= 0.05 + TOL


@pytest.mark.parametrize("objective", ["mean_variance", "max_sharpe", "market_cap"])
def test_turnover_limit(base, objective: str) -> None:
    prev = base["previous"]
    w = run(base, objective, turnover=0.3).weights
    assert (w - prev.reindex(w.index)).abs().sum() <= 0.3 + TOL
    free = run(base, objective).weights
    assert (free - prev.reindex(free.index)).abs().sum() > 0.3  # the limit binds


def test_turnover_limit_not_applied_to_a_first_allocation(base) -> None:
    spec = OptimiserSpec(objective="mean_variance", constraints={"turnover": 0.1, "max_weight": 0.2})
    for previous in (None, pd.Series({CASH: 1.0})):
        res = solve(spec, WeighContext(**dict(base, previous=previous)))
        check_basic(res.weights)
        assert "turnover" not in res.diagnostics["constraints"]


def test_liquidity_cap(base) -> None:
    value = 5e7
    w = run(base, liquidity=0.01, portfolio_value=value).weights.drop(CASH)
    adv = base["volume"]
    assert (w * value <= 0.01 * adv + TOL * value).all()
    with pytest.raises(OptimisationError, match="portfolio_value"):
        run(base, liquidity=0.01)


def test_cash_and_stablecoin_bounds(base, registry) -> None:
    w = run(base, cash_min=0.1, cash_max=0.3).weights
    assert 0.1 - TOL <= w[CASH] <= 0.3 + TOL
    ctx = dict(base, assets=(*base["assets"], "USDC"),
               returns=base["returns"].assign(USDC=0.0001), scores=base["scores"].reindex([*base["assets"], "USDC"]).fillna(0.0),
               market_cap=None, volume=None)
    spec = OptimiserSpec(objective="min_variance", constraints={"stablecoin_min": 0.2, "stablecoin_max": 0.25,
                                                               "cash_max": 0.1})
    w = solve(spec, WeighContext(**ctx)).weights
    assert 0.2 - TOL <= w["USDC"] + w[CASH] <= 0.25 + TOL


@pytest.mark.parametrize("objective", ["mean_variance", "min_cvar", "market_cap"])
def test_max_holdings_two_stage(base, objective: str) -> None:
    w = run(base, objective, max_holdings=5, max_weight=0.4).weights.drop(CASH)
    assert (w > 1e-9).sum() <= 5 and w.max() <= 0.4 + TOL
    check_basic(run(base, objective, max_holdings=5, max_weight=0.4).weights)


def test_dust_removed_and_constraints_still_hold(base) -> None:
    for objective in ("risk_parity", "mean_variance"):
        res = run(base, objective, dust=0.025, max_weight=0.3)
        w = res.weights.drop(CASH)
        assert ((w == 0) | (w >= 0.025 - TOL)).all() and w.max() <= 0.3 + TOL
        check_basic(res.weights)
    assert res.diagnostics.get("dropped_dust") or (w > 0).sum() < len(w)


def test_penalties_reduce_turnover(base) -> None:
    prev = base["previous"]
    plain = run(base).weights
    pen = run(base, penalties={"turnover": 0.05, "transaction_cost": 0.002}).weights
    def l1(w):
        return (w - prev.reindex(w.index)).abs().sum()
    assert l1(pen) < l1(plain)


def test_infeasible_bounds_named(base) -> None:
    with pytest.raises(OptimisationError, match=r"bounds \(min_weight=0.0, max_weight=0.02\).*cash"):
        run(base, max_weight=0.02)


def test_infeasible_pair_named(base) -> None:
    n_defi = len(set(base["registry"].with_theme("defi")) & set(base["assets"]))
    assert n_defi >= 2 and 0.02 * len(base["assets"]) < 1
    with pytest.raises(OptimisationError, match=r"bounds .* and theme_caps .* cannot both be met"):
        run(base, min_weight=0.02, theme_caps={"defi": 0.02 * n_defi - 0.01})


def test_infeasible_turnover_named(base) -> None:
    with pytest.raises(OptimisationError, match="turnover"):
        run(base, turnover=0.1, per_asset={"BTC": {"min": 0.5}})


def test_fallback_chain_recorded(base) -> None:
    res = run(base, max_weight=0.02, fallback=["previous", "equal_weight"])
    assert res.diagnostics["fallback"] == "previous" and "bounds" in res.diagnostics["error"]
    assert res.weights.to_numpy() == pytest.approx(base["previous"].reindex(res.weights.index).to_numpy())
    no_prev = dict(base, previous=None)
    spec = OptimiserSpec(objective="mean_variance", constraints={"max_weight": 0.02}, fallback=["previous", "equal_weight"])
    res = solve(spec, WeighContext(**no_prev))
    assert res.diagnostics["fallback"] == "equal_weight"
    check_basic(res.weights)


def test_max_sharpe_without_positive_excess_is_clear(base) -> None:
    ctx = dict(base, scores=base["scores"] * 0 - 0.1)
    with pytest.raises(OptimisationError, match="risk_free"):
        solve(OptimiserSpec(objective="max_sharpe"), WeighContext(**ctx))
