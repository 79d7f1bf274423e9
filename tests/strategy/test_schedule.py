"""Calendar rebalance schedules."""

from __future__ import annotations

import pandas as pd
import pytest

from indexer.strategy import Strategy

IDX = pd.date_range("2021-01-15", "2021-12-31", freq="D", tz="UTC", name="timestamp")


def _strategy(**rebalance) -> Strategy:
    return Strategy.from_dict({"name": "s", "rebalance": rebalance})


def test_monthly_is_first_bar_of_each_month() -> None:
    d = _strategy(every="monthly").rebalance_dates(IDX)
    assert d[0] == IDX[0]  # the index starts mid-January: its first bar decides
    assert list(d[1:].day) == [1] * 11
    assert len(d) == 12


def test_quarterly_weekly_daily() -> None:
    q = _strategy(every="quarterly").rebalance_dates(IDX)
    assert [t.strftime("%m-%d") for t in q] == ["01-15", "04-01", "07-01", "10-01"]
    w = _strategy(every="weekly", weekday="wed").rebalance_dates(IDX)
    assert set(w.day_of_week) == {2} and len(w) == 50
    assert _strategy(every="weekly", weekday=6).rebalance_dates(IDX).day_of_week[0] == 6
    assert _strategy(every="daily").rebalance_dates(IDX).equals(IDX)


def test_drift_bands_are_carried_for_the_backtest() -> None:
    s = _strategy(every="monthly", drift_abs=0.05, drift_rel=0.3)
    assert s.spec.rebalance.drift_abs == pytest.approx(0.05)
    assert s.spec.rebalance.drift_rel == pytest.approx(0.3)
