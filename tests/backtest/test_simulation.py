"""Constructed cases with numbers computed by hand: costs, drift bands, next-bar execution."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.backtesting import CostModel, backtest
from indexer.exceptions import ConfigError, DataError


def test_costs_reduce_final_value_by_exactly_what_was_charged(fixed_weights, make_data):
    # constant prices: value can only change through costs
    data = make_data({"A": [100.0] * 10, "B": [20.0] * 10})
    strat = fixed_weights({"A": 0.5, "B": 0.3}, every="never")
    costs = CostModel(taker_fee=0.002, slippage=0.001)
    free = backtest(strat, data, fees=0.0, slippage=0.0, benchmarks=False)
    paid = backtest(strat, data, costs=costs, benchmarks=False)
    assert free.equity.iloc[-1] == pytest.approx(100_000.0, rel=1e-12)
    charged = paid.stats["fees_paid"] + paid.stats["slippage_paid"]
    assert free.equity.iloc[-1] - paid.equity.iloc[-1] == pytest.approx(charged, rel=1e-9)
    # by hand: each fill buys target/close units at close * (1 + slippage) and pays the fee on that notional
    units_a, units_b = 0.5 * 100_000 / 100.0, 0.3 * 100_000 / 20.0
    exp_slip = units_a * 100.0 * 0.001 + units_b * 20.0 * 0.001
    exp_fees = 0.002 * (units_a * 100.0 * 1.001 + units_b * 20.0 * 1.001)
    assert paid.stats["slippage_paid"] == pytest.approx(exp_slip, rel=1e-9)
    assert paid.stats["fees_paid"] == pytest.approx(exp_fees, rel=1e-9)
    assert paid.stats["n_orders"] == 2


def test_min_trade_notional_skips_small_trades(fixed_weights, make_data):
    data = make_data({"A": [100.0] * 6, "B": [20.0] * 6})
    strat = fixed_weights({"A": 0.9995, "B": 0.0005}, every="never")
    res = backtest(strat, data, costs=CostModel(taker_fee=0.0, slippage=0.0, min_trade_usd=100.0), benchmarks=False)
    assert list(res.orders["asset"]) == ["A"]  # B's 50 USD trade is under the 100 USD minimum
    assert res.decisions["skipped"].iloc[0] == ["B"]


def test_impact_slippage_grows_with_size_over_volume(fixed_weights, make_data):
    data = make_data({"A": [100.0] * 6})
    vol = data.close * 0 + 1_000_000.0  # 1m USD a day
    from dataclasses import replace

    data = replace(data, volume=vol)
    strat = fixed_weights({"A": 1.0}, every="never")
    res = backtest(strat, data, init_cash=250_000.0, costs=CostModel(taker_fee=0.0, slippage=0.0, impact=0.1),
                   benchmarks=False)  # fmt: skip
    fill = res.orders.iloc[0]
    assert fill["price"] / fill["close"] - 1.0 == pytest.approx(0.1 * np.sqrt(250_000 / 1_000_000), rel=1e-9)


def test_next_bar_vs_same_bar_differ_by_the_move_of_the_next_bar(fixed_weights, make_data):
    data = make_data({"A": [100.0, 110.0, 110.0, 110.0]})
    strat = fixed_weights({"A": 1.0}, every="never")
    same = backtest(strat, data, fees=0.0, slippage=0.0, execution="same_close", benchmarks=False)
    nxt = backtest(strat, data, fees=0.0, slippage=0.0, benchmarks=False)
    assert same.equity.iloc[-1] == pytest.approx(100_000 * 110 / 100, rel=1e-12)
    assert nxt.equity.iloc[-1] == pytest.approx(100_000, rel=1e-12)
    assert same.equity.iloc[-1] - nxt.equity.iloc[-1] == pytest.approx(100_000 * (110 / 100 - 1), rel=1e-9)
    assert str(nxt.orders["timestamp"].iloc[0].date()) == "2024-01-02"


@pytest.mark.parametrize("band", [{"drift_abs": 0.05}, {"drift_rel": 0.15}])
def test_drift_bands_trigger_exactly_when_specified(fixed_weights, make_data, band):
    n = 150
    a = 100.0 * 1.01 ** np.arange(n)  # A gains 1% a day, B flat
    data = make_data({"A": a, "B": [50.0] * n})
    strat = fixed_weights({"A": 0.5, "B": 0.5}, every="never")
    res = backtest(strat, data, fees=0.0, slippage=0.0, benchmarks=False, **band)
    # independent: after each fill weights are 50/50; A's weight is g/(g+1) with g its growth since the fill
    limit = band.get("drift_abs", 0.0)
    expected, filled = [], 1  # first fill on bar 1 (decision at bar 0, next-bar execution)
    for t in range(2, n):
        g = a[t] / a[filled]
        dev = g / (g + 1) - 0.5
        hit = dev > limit + 1e-12 if "drift_abs" in band else dev > band["drift_rel"] * 0.5 + 1e-12
        if hit:
            expected.append(data.index[t])
            filled = t + 1
            if filled >= n:
                expected.pop()
                break
    got = list(res.decisions.loc[res.decisions["reason"] == "drift", "as_of"])
    assert len(expected) >= 3
    assert got == expected


def test_bad_inputs_are_named(fixed_weights, make_data):
    data = make_data({"A": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match="'ZZZ'"):
        backtest(fixed_weights({"ZZZ": 1.0}), data, benchmarks=False)
    with pytest.raises(DataError, match="needs 10 bars"):
        backtest(fixed_weights({"A": 1.0}, lookback=10), data, benchmarks=False)
    with pytest.raises(ConfigError, match="execution"):
        backtest(fixed_weights({"A": 1.0}), data, execution="open", benchmarks=False)
    with pytest.raises(ConfigError, match="taker_fee"):
        CostModel(taker_fee=-0.1)
    with pytest.raises(ConfigError, match="strategy"):
        backtest(object(), data)


def test_fully_invested_cash_holding_has_no_negative_float_noise(reference, fixed_weights):
    # 7 equal weights rebalanced monthly with costs: vectorbt leaves cash around -1e-16 of value
    assets = ["BTC", "ETH", "SOL", "ADA", "XRP", "DOGE", "LTC"]
    data = reference.between("2021-01-01", "2022-12-31")
    strat = fixed_weights({**{a: 1 / len(assets) for a in assets}, "CASH": 0.0}, every="monthly")
    res = backtest(strat, data, fees=0.001, slippage=0.0005, benchmarks=False)
    assert (res.holdings.to_numpy() >= 0.0).all()
    assert res.holdings["CASH"].iloc[1:].max() < 1e-12  # fully invested from the first fill, only noise removed
    np.testing.assert_allclose(res.holdings.sum(axis=1).to_numpy(), 1.0, rtol=0, atol=1e-12)
    import matplotlib.pyplot as plt

    res.holdings.plot.area()  # pandas rejects mixed-sign columns in a stacked area plot
    plt.close("all")


def test_clip_noise_only_clips_within_tolerance():
    import pandas as pd

    from indexer.backtesting.simulate import clip_noise

    h = pd.DataFrame({"A": [1.0, 1.0 + 5e-18, 1.2], "CASH": [0.0, -5e-18, -0.2]})
    out = clip_noise(h)
    assert list(out["CASH"]) == [0.0, 0.0, -0.2]  # a real negative (borrowed cash) is kept
    assert out["A"].equals(h["A"])
