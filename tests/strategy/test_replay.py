"""The drawdown guard's replayed pre-overlay curve: the strategy's own decisions, held between dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer import CASH
from indexer.data import Asset, AssetRegistry, MarketData
from indexer.strategy import Strategy
from indexer.strategy.replay import held_curve

IDX = pd.date_range("2021-01-01", periods=500, freq="D", tz="UTC", name="timestamp")


def _data(prices: dict[str, np.ndarray], caps: dict[str, float]) -> MarketData:
    close = pd.DataFrame(prices, index=IDX[: len(next(iter(prices.values())))])
    close.columns.name = "asset"
    cap = pd.DataFrame({k: np.full(len(close), v) for k, v in caps.items()}, index=close.index)
    cap.columns.name = "asset"
    reg = AssetRegistry(Asset(s, s, "currency") for s in prices)
    return MarketData(close=close, volume=close * 0 + 1e8, market_cap=cap, assets=reg)


def test_held_curve_drifts_between_decisions() -> None:
    idx = IDX[:5]
    close = pd.DataFrame({"A": [100.0, 110, 121, 110, 100], "B": [10.0, 10, 5, 5, 10]}, index=idx)
    d = [(idx[0], pd.Series({"A": 0.5, "B": 0.5, CASH: 0.0})), (idx[2], pd.Series({"A": 0.5, CASH: 0.5}))]
    got = held_curve(close, d).to_numpy()
    v2 = 0.5 * 1.21 + 0.5 * 0.5  # bar 2, end of the first holding period
    expect = [1.0, 0.5 * 1.1 + 0.5, v2, v2 * (0.5 + 0.5 * 110 / 121), v2 * (0.5 + 0.5 * 100 / 121)]
    np.testing.assert_allclose(got, expect, rtol=1e-12)


def _guarded(curve: str, window: int = 200) -> Strategy:
    return Strategy.from_dict({
        "name": "g",
        "universe": {"top_n": 1},
        "optimiser": {"objective": "market_cap"},
        "rebalance": {"every": "monthly"},
        "overlays": [{"name": "drawdown_guard", "max_drawdown": 0.3, "rerisk_drawdown": 0.1, "exposure": 0.2,
                      "window": window, "curve": curve}],
    })


def test_replay_follows_the_strategys_own_switches() -> None:
    """Top-1 by cap: A is the largest until bar 299, then B. A halves in the days after the switch in
    caps, before the next monthly decision moves the strategy into B (flat). Today's basket (all B)
    shows no drawdown; the replay of the strategy's own decisions shows the 50% loss it really took."""
    a = np.r_[np.linspace(100, 200, 300), np.linspace(190, 100, 5), np.linspace(100, 80, 195)]
    b = np.full(500, 50.0)
    data = _data({"A": a, "B": b}, {"A": 0.0, "B": 5e9})
    cap = data.market_cap.copy()
    cap["A"] = np.r_[np.full(300, 9e9), np.full(200, 1e9)]
    from dataclasses import replace

    data = replace(data, market_cap=cap)
    t = data.index[-1]
    rep = _guarded("replay").target(data, t)
    mix = _guarded("constant_mix").target(data, t)
    assert mix.weights["B"] == pytest.approx(1.0)  # no drawdown in today's basket
    assert mix.diagnostics["overlays"][0]["drawdown"] == pytest.approx(0.0, abs=1e-12)
    info = rep.diagnostics["overlays"][0]
    assert info["curve"] == "replay"
    switch = next(i for i, d in enumerate(data.index) if d.day == 1 and i > 300)  # next monthly decision
    assert info["drawdown"] == pytest.approx(1 - a[switch] / a[299], rel=1e-9)
    assert info["de_risked"] is True
    assert rep.weights["B"] == pytest.approx(0.2) and rep.cash == pytest.approx(0.8)


def test_replay_is_memoised_across_decisions() -> None:
    rng = np.random.default_rng(1)
    p = 100 * np.cumprod(1 + rng.normal(0, 0.03, 500))
    data = _data({"A": p, "B": p[::-1].copy()}, {"A": 2e9, "B": 1e9})
    s = _guarded("replay", window=120)
    s.target(data, data.index[300])
    first = len(s._replay._memo)
    assert 4 <= first <= 6  # the window start and the 4-5 monthly dates inside 120 bars
    s.target(data, data.index[331])
    assert len(s._replay._memo) - first <= 3  # only the newly entered dates are decided
    before = len(s._replay._memo)
    s.target(data.until(data.index[331]), data.index[331])  # same data up to t: all hits
    assert len(s._replay._memo) == before


def test_replay_guard_matches_hand_computed_single_asset_drawdown() -> None:
    """One asset, always fully held: the replayed curve is its price path within the window."""
    p = np.r_[np.linspace(100, 200, 250), np.linspace(200, 120, 100), np.full(50, 125.0)]
    data = _data({"A": p}, {"A": 1e9})
    tp = _guarded("replay", window=365).target(data, data.end)
    info = tp.diagnostics["overlays"][0]
    window = p[-366:]
    assert info["drawdown"] == pytest.approx(1 - window[-1] / window.max(), rel=1e-9)
    assert info["de_risked"] is True
    assert 1 - tp.cash == pytest.approx(0.2)
