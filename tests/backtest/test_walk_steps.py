"""The walk-forward loop's named steps: drift between trades, why a bar decides, and a fill's orders and costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer._typing import CASH, TargetPortfolio
from indexer.backtesting.costs import CostModel
from indexer.backtesting.walk import Book, Plan, decision_reason, drift, fill, prepare_market
from indexer.exceptions import DataError


@pytest.fixture
def market(fixed_weights, make_data):
    rng = np.random.default_rng(3)
    data = make_data({a: list(100 * np.cumprod(1 + rng.normal(0, 0.02, 60))) for a in ("AAA", "BBB", "CCC")})
    strat = fixed_weights({"AAA": 0.5, "BBB": 0.3}, every="weekly", lookback=5)
    return data, strat, prepare_market(strat, data, None, None, CostModel(slippage=0.001))


def test_market_starts_at_the_lookback_and_marks_the_calendar(market, fixed_weights) -> None:
    data, strat, m = market
    assert m.index[0] == data.index[4] and m.first == 4  # 5 bars of history at the first decision
    assert m.scheduled[0] and m.scheduled[1:].sum() == (m.index[1:].dayofweek == 0).sum()
    np.testing.assert_allclose(m.relative[1:], m.prices[1:] / m.prices[:-1])
    with pytest.raises(DataError, match="no bar left to decide on"):
        prepare_market(fixed_weights({"AAA": 1.0}, lookback=500), data, None, None, CostModel())


def test_drift_moves_weights_with_prices_and_cash_stays(market) -> None:
    _, _, m = market
    book = Book(np.array([0.5, 0.3, 0.0]), 0.2, 1000.0, np.array([0.5, 0.3, 0.0]))
    rel = np.array([1.10, 0.90, 5.0])
    after = drift(book, rel)
    value = 1000.0 * (0.5 * 1.1 + 0.3 * 0.9 + 0.2)
    assert after.value == pytest.approx(value)
    np.testing.assert_allclose(after.w * after.value, [550.0, 270.0, 0.0])
    assert after.cash * after.value == pytest.approx(200.0) and after.target is book.target


def test_reasons_initial_schedule_and_drift_bands(market) -> None:
    _, _, m = market
    book = Book(np.array([0.62, 0.38, 0.0]), 0.0, 1.0, np.array([0.5, 0.5, 0.0]))
    off = int(np.flatnonzero(~m.scheduled)[0])
    assert decision_reason(0, m, book, None, None) == "initial"
    assert decision_reason(int(np.flatnonzero(m.scheduled)[1]), m, book, None, None) == "schedule"
    assert decision_reason(off, m, book, None, None) == ""
    assert decision_reason(off, m, book, 0.10, None) == "drift"  # 0.12 off target
    assert decision_reason(off, m, book, 0.15, None) == ""
    assert decision_reason(off, m, book, None, 0.2) == "drift"  # 24 % of the 0.5 target
    assert decision_reason(off, m, Book(book.w, 0.0, 1.0, None), 0.01, 0.01) == ""  # nothing traded yet


def test_fill_writes_orders_costs_and_the_decision_row(market) -> None:
    _, _, m = market
    n, k = m.prices.shape
    plan = Plan(index=m.index, size=np.full((n, k), np.nan), slippage=np.full((n, k), 0.001))
    costs = CostModel(taker_fee=0.001, slippage=0.001, min_trade_usd=50.0)
    book = Book(np.array([0.0, 0.3, 0.0]), 0.7, 10_000.0)
    tp = TargetPortfolio(m.index[3], pd.Series({"AAA": 0.5, "BBB": 0.302, CASH: 0.198}))
    after = fill(plan, m, book, tp, 4, 3, "schedule", costs, "s")
    np.testing.assert_array_equal(np.isnan(plan.size[4]), [False, True, True])  # BBB's 20 USD is under 50
    assert plan.size[4, 0] == pytest.approx(0.5)
    assert after.value == pytest.approx(10_000.0 - 5000.0 * 0.002)  # fee + slippage on the 5,000 USD bought
    np.testing.assert_allclose(after.w, [0.5, 0.3, 0.0])
    assert after.cash == pytest.approx(0.2)
    row = plan.decisions[-1]
    assert row["skipped"] == ["BBB"] and row["executed"] == m.index[4] and row["traded"] == pytest.approx(0.5)
    with pytest.raises(DataError, match="target names 'ZZZ', not in the data's assets"):
        fill(plan, m, book, TargetPortfolio(m.index[3], pd.Series({"ZZZ": 1.0})), 4, 3, "schedule", costs, "s")
