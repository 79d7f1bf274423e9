"""The regime filter's run paths (extended by new bars) equal the whole-view computation at every decision."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from indexer.runcache import RunCache
from indexer.strategy import Strategy
from indexer.strategy.overlays.regime_filter import RegimeFilter

REPO = Path(__file__).resolve().parents[2]


def _outside_run(ov: RegimeFilter, view, as_of):
    """Trend and sentiment states computed from the view alone (no run cache block: no paths)."""
    return ov.trend_state(view), ov.sentiment_state(view, as_of)


@pytest.mark.parametrize("market", ["cap_weighted", "BTC"])
def test_paths_equal_the_view_computation_at_every_decision(reference, market: str) -> None:
    ov = RegimeFilter(market=market, ma_days=200, band=0.02, sentiment_smoothing=7)
    dates = reference.index[199::9]  # every 9th bar: the paths are extended by 9 bars at a time
    expected = [_outside_run(ov, reference.until(t), t) for t in dates]
    with RunCache() as cache:
        got = [(ov.trend_state(reference.until(t)), ov.sentiment_state(reference.until(t), t)) for t in dates]
        earlier = [(ov.trend_state(reference.until(t)), ov.sentiment_state(reference.until(t), t)) for t in dates[::5]]
        trend, sent = cache.values("strategy.regime")
    # bit for bit (repr: the shortest round-trip form of each float; NaN equals NaN): states, the gap to the
    # moving average, the smoothed index, notes
    assert repr(got) == repr(expected)
    assert repr(earlier) == repr(expected[::5])  # earlier bars are read from the stored rows
    assert trend.builds == 1 and trend.extensions == len(dates) - 1
    assert sent.builds == 1 and sent.extensions >= 100
    bear = [g[0][0] for g in got]
    assert 0 < sum(bear) < len(bear)  # both states occur
    assert {g[1][0] for g in got} == {True, False}


def test_a_path_is_rebuilt_for_other_data_or_a_shorter_start(reference) -> None:
    ov = RegimeFilter()
    late = reference.between("2019-01-01", None)  # starts later: the hysteresis starts from another first bar
    t = pd.Timestamp("2022-06-01", tz="UTC")
    with RunCache() as cache:
        a = ov.trend_state(reference.until(t))
        b = ov.trend_state(late.until(t))
        assert len(cache.values("strategy.regime")) == 2
    assert a == _outside_run(ov, reference.until(t), t)[0] and b == _outside_run(ov, late.until(t), t)[0]
    assert a[1] == pytest.approx(b[1], rel=1e-9)  # the gap to the average does not depend on the index's start


def test_flagship_backtest_uses_one_path_per_input(reference) -> None:
    from indexer.backtesting import backtest

    strat = Strategy.from_yaml(REPO / "strategies" / "ai_index.yaml")
    data = reference.between(None, "2021-12-31")
    with RunCache() as cache:
        res = backtest(strat, data, start="2020-01-01", benchmarks=False)
        paths = cache.values("strategy.regime")
    assert len(paths) == 2 and all(p.builds == 1 for p in paths)
    with RunCache(sizes={"strategy.regime": 0}):  # no paths: every decision scans the whole view
        ref = backtest(strat, data, start="2020-01-01", benchmarks=False)
    pd.testing.assert_frame_equal(res.weights, ref.weights, check_exact=True)
    assert [tp.diagnostics["overlays"] for tp in res.targets] == [tp.diagnostics["overlays"] for tp in ref.targets]
