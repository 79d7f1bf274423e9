"""Closed-form weightings: capped market cap by hand, equal, inverse volatility, fixed, spec errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from indexer._typing import CASH
from indexer.exceptions import OptimisationError
from indexer.optimiser import OptimiserSpec, WeighContext, cap_weights, solve

CAPS = pd.Series({"BTC": 1000.0, "ETH": 400.0, "SOL": 100.0, "XRP": 80.0, "ADA": 20.0})


def ctx(**kw) -> WeighContext:
    return WeighContext(assets=tuple(CAPS.index), market_cap=CAPS, **kw)


def test_capped_market_cap_water_filling_by_hand() -> None:
    # BTC 0.625 > 0.25 -> 0.25; 0.75 left over ETH/SOL/XRP/ADA (600): ETH 0.5 -> 0.25;
    # 0.5 left over SOL/XRP/ADA (200): 0.25, 0.20, 0.05.
    w = solve(OptimiserSpec(objective="market_cap", params={"max_weight": 0.25}), ctx()).weights
    expected = {"BTC": 0.25, "ETH": 0.25, "SOL": 0.25, "XRP": 0.20, "ADA": 0.05, CASH: 0.0}
    assert w.to_dict() == pytest.approx(expected, abs=1e-12)


def test_uncapped_and_sqrt_market_cap() -> None:
    w = solve(OptimiserSpec(objective="market_cap"), ctx()).weights
    assert w.drop(CASH).to_numpy() == pytest.approx((CAPS / CAPS.sum()).to_numpy(), abs=1e-12)
    w = solve(OptimiserSpec(objective="market_cap", params={"power": 0.5}), ctx()).weights
    root = np.sqrt(CAPS.to_numpy())
    assert w.drop(CASH).to_numpy() == pytest.approx(root / root.sum(), abs=1e-12)


def test_cap_from_constraints_applies_too() -> None:
    spec = OptimiserSpec(objective="market_cap", constraints={"max_weight": 0.3})
    w = solve(spec, ctx()).weights
    assert w.max() <= 0.3 + 1e-12 and w.sum() == pytest.approx(1.0, abs=1e-12)


def test_infeasible_cap_is_a_clear_error() -> None:
    with pytest.raises(OptimisationError, match=r"5 assets x max_weight 0.15 = 0.75 < 1"):
        solve(OptimiserSpec(objective="market_cap", params={"max_weight": 0.15}), ctx())


def test_infeasible_cap_with_cash_allowed_parks_the_rest_in_cash() -> None:
    spec = OptimiserSpec(objective="market_cap", params={"max_weight": 0.15}, constraints={"cash_max": 0.3})
    w = solve(spec, ctx()).weights
    assert w[CASH] == pytest.approx(0.25) and w.drop(CASH).max() == pytest.approx(0.15)


def test_cap_weights_iterates_until_no_breach() -> None:
    raw = np.array([50.0, 30.0, 10.0, 5.0, 3.0, 2.0])
    w = cap_weights(raw, 0.2)
    assert w.sum() == pytest.approx(1.0) and (w <= 0.2 + 1e-12).all()
    free = w < 0.2 - 1e-12
    assert w[free] / w[free].sum() == pytest.approx(raw[free] / raw[free].sum())


def test_equal_and_inverse_volatility() -> None:
    rng = np.random.default_rng(0)
    idx = pd.date_range("2024-01-01", periods=90, tz="UTC")
    r = pd.DataFrame(rng.normal(0, [0.01, 0.02, 0.04, 0.03, 0.05], size=(90, 5)), index=idx, columns=CAPS.index)
    w = solve(OptimiserSpec(objective="equal_weight"), ctx()).weights
    assert w.drop(CASH).to_numpy() == pytest.approx(np.full(5, 0.2))
    w = solve(OptimiserSpec(objective="inverse_volatility"), ctx(returns=r)).weights
    inv = 1 / r.std(ddof=1)
    assert w.drop(CASH).to_numpy() == pytest.approx((inv / inv.sum()).to_numpy(), abs=1e-12)


def test_fixed_weights_and_unknown_asset() -> None:
    spec = OptimiserSpec(objective="fixed", params={"weights": {"BTC": 0.6, "ETH": 0.4}})
    w = solve(spec, ctx()).weights
    assert w["BTC"] == 0.6 and w["ETH"] == 0.4 and w.sum() == pytest.approx(1.0)
    bad = OptimiserSpec(objective="fixed", params={"weights": {"BTC": 0.5, "DOGE": 0.5}})
    with pytest.raises(OptimisationError, match="DOGE"):
        solve(bad, ctx())


def test_spec_errors_list_allowed_names() -> None:
    with pytest.raises(ValidationError, match="allowed: market_cap, equal_weight"):
        OptimiserSpec(objective="max_return")
    with pytest.raises(ValidationError, match="allowed: power, max_weight"):
        OptimiserSpec(objective="market_cap", params={"cap": 0.2})
    with pytest.raises(ValidationError, match="extra"):
        OptimiserSpec(objective="market_cap", constraints={"maxweight": 0.2})
    with pytest.raises(ValidationError, match="sum to 1"):
        OptimiserSpec(objective="fixed", params={"weights": {"BTC": 0.6}})


def test_missing_market_cap_names_the_asset() -> None:
    mc = CAPS.drop("SOL")
    with pytest.raises(OptimisationError, match="SOL"):
        solve(OptimiserSpec(objective="market_cap"), WeighContext(assets=tuple(CAPS.index), market_cap=mc))


def test_fallback_equal_weight_recorded() -> None:
    spec = OptimiserSpec(objective="market_cap", params={"max_weight": 0.15}, fallback=["previous", "equal_weight"])
    res = solve(spec, ctx())
    assert res.diagnostics["fallback"] == "equal_weight"
    assert res.weights.drop(CASH).to_numpy() == pytest.approx(np.full(5, 0.2))
