"""indexer.optimise entry point, input errors, JSON-friendly diagnostics, no look-ahead."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

import indexer
from indexer._typing import CASH, TargetPortfolio
from indexer.exceptions import ConfigError, OptimisationError
from indexer.optimiser import OptimiserSpec, WeighContext, solve


def test_top_level_optimise_returns_weights_with_cash(window) -> None:
    scores = pd.Series(0.4, index=window.columns)
    w = indexer.optimise(scores, window, risk_aversion=2.0, max_weight=0.2)
    assert list(w.index) == [*window.columns, CASH]
    assert w.sum() == pytest.approx(1.0) and w.max() <= 0.2 + 1e-9 and (w >= 0).all()
    # usable as a TargetPortfolio as is
    TargetPortfolio(as_of=window.index[-1], weights=w)


def test_optimise_errors_are_config_errors(window) -> None:
    with pytest.raises(ConfigError, match="allowed: none"):
        indexer.optimise(returns=window, objective="min_variance", risk_aversion=1.0)
    with pytest.raises(ConfigError, match="unknown objective"):
        indexer.optimise(returns=window, objective="max_return")
    with pytest.raises(ConfigError, match="give scores, returns"):
        indexer.optimise(objective="equal_weight")


def test_penalties_rejected_for_ratio_objectives() -> None:
    with pytest.raises(ValidationError, match="penalties do not apply"):
        OptimiserSpec(objective="max_sharpe", penalties={"turnover": 0.01})


def test_context_errors_name_the_asset(window) -> None:
    with pytest.raises(OptimisationError, match="no column for \\['NOPE'\\]"):
        solve(OptimiserSpec(objective="min_variance"), WeighContext(assets=("BTC", "NOPE"), returns=window))
    short = window.copy()
    short.loc[short.index[1]:, "ETH"] = np.nan
    with pytest.raises(OptimisationError, match="fewer than 2 observations for \\['ETH'\\]"):
        solve(OptimiserSpec(objective="min_variance"), WeighContext(assets=("BTC", "ETH"), returns=short))
    with pytest.raises(OptimisationError, match="must not contain 'CASH'"):
        WeighContext(assets=("BTC", CASH))
    with pytest.raises(OptimisationError, match="scores is missing or not finite for \\['ETH'\\]"):
        solve(OptimiserSpec(objective="mean_variance"),
              WeighContext(assets=("BTC", "ETH"), returns=window, scores=pd.Series({"BTC": 0.1})))


@pytest.mark.parametrize("objective", ["mean_variance", "max_sharpe", "risk_parity", "min_cvar", "market_cap"])
def test_diagnostics_are_json_friendly(window, caps_volume, objective: str) -> None:
    mc, _ = caps_volume
    assets = tuple(window.columns)
    ctx = WeighContext(assets=assets, returns=window, scores=pd.Series(0.3, index=assets), market_cap=mc[list(assets)])
    res = solve(OptimiserSpec(objective=objective, constraints={"max_weight": 0.2, "dust": 0.01}), ctx)
    json.dumps(res.diagnostics)
    assert res.diagnostics["objective"] == objective and res.diagnostics["fallback"] is None


def test_weights_depend_only_on_the_window_given(reference) -> None:
    """No look-ahead: the decision at t from data.until(t) equals the one from the full data cut at t."""
    t = pd.Timestamp("2024-06-30", tz="UTC")
    assets = ["BTC", "ETH", "SOL", "XRP", "ADA"]

    def decide(data) -> pd.Series:
        r = data.close[assets].pct_change(fill_method=None).loc[:t].iloc[-120:]
        return indexer.optimise(r.mean() * 365, r, risk_aversion=1.0, max_weight=0.4)

    pd.testing.assert_series_equal(decide(reference.until(t)), decide(reference))


def test_optimise_takes_the_settings_and_inputs_as_objects(window) -> None:
    scores = pd.Series(np.linspace(0.8, 0.1, window.shape[1]), index=window.columns)
    spec = OptimiserSpec(objective="mean_variance", params={"risk_aversion": 2.0}, constraints={"max_weight": 0.2})
    ctx = WeighContext(assets=tuple(window.columns), returns=window, scores=scores)
    by_objects = indexer.optimise(spec=spec, context=ctx)
    pd.testing.assert_series_equal(by_objects, solve(spec, ctx).weights)
    pd.testing.assert_series_equal(by_objects, indexer.optimise(scores, window, risk_aversion=2.0, max_weight=0.2))
    tighter = indexer.optimise(spec=spec, context=ctx, max_weight=0.1)  # keywords override the spec
    assert tighter.max() == pytest.approx(0.1, abs=1e-9) and by_objects.max() > 0.1
    with pytest.raises(ConfigError, match="give context= or the inputs"):
        indexer.optimise(scores, spec=spec, context=ctx)
    with pytest.raises(ConfigError, match=r"no parameter\(s\) \['previos'\].*also takes inputs assets, .*previous"):
        indexer.optimise(scores, window, previos=None)


def test_weigh_is_a_deprecated_alias_of_solve() -> None:
    import indexer.optimiser as opt

    with pytest.warns(DeprecationWarning, match="now indexer.optimiser.solve"):
        assert opt.weigh is solve
