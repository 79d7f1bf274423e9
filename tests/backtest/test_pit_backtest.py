"""Issue 13: the shipped point-in-time top-10 strategies run from 2018 through LUNA's and FTT's collapses."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from indexer.backtesting import backtest
from indexer.backtesting.membership_report import collapsed_held, unholdable_members
from indexer.backtesting.report.html import render_html

STRATEGIES = Path(__file__).resolve().parents[2] / "strategies"


@pytest.fixture(scope="module")
def weekly_pit(reference):
    return backtest(STRATEGIES / "top10_pit.yaml", reference, start="2018-01-01", end="2023-01-31", benchmarks=False)


def test_weekly_pit_lists_terra_and_other_unholdable_members(weekly_pit) -> None:
    res = weekly_pit
    assert res.equity.index[0] == pd.Timestamp("2018-01-01", tz="UTC") and res.equity.index[-1] >= pd.Timestamp("2023-01-30", tz="UTC")
    miss = unholdable_members(res).set_index("asset")
    assert {"LUNC", "XLM", "TRX"} <= set(miss.index)  # no daily prices in the reference data
    assert miss.loc["LUNC", "name"] == "Terra" and miss.loc["LUNC", "last"] == pd.Timestamp("2022-05-01", tz="UTC")
    assert miss.loc["LUNC", "max_nominal_weight"] == pytest.approx(1 / 8)  # equal weight over 8 non-stable members
    first = res.targets[0]
    assert first.diagnostics["membership"]["snapshot"] == "2017-12-31T00:00:00+00:00"
    html = render_html(res)
    assert "Point-in-time membership" in html and "Members it could not hold" in html and "Terra" in html


def test_snapshot_priced_pit_holds_terra_and_ftt_through_their_collapses(reference) -> None:
    res = backtest(STRATEGIES / "top10_pit_snapshot.yaml", reference, start="2021-01-01", end="2023-01-31", benchmarks=False)
    held = collapsed_held(res).set_index("asset")
    assert "LUNC" in held.index and held.loc["LUNC", "last"] == pd.Timestamp("2022-06-01", tz="UTC")
    # Terra Classic's weight is wiped out: the equity falls on the day after the last LUNA snapshot price
    day = res.equity.pct_change().loc["2022-06-02":"2022-06-03"].min()
    assert day < -0.03
    assert "Collapsed coins it held" in render_html(res)
