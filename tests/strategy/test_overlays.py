"""Overlays: volatility target, regime filter (trend + Fear & Greed), drawdown guard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer import CASH
from indexer.data import Asset, AssetRegistry, MarketData, Sentiment
from indexer.strategy import DrawdownGuard, RegimeFilter, VolTarget
from indexer.strategy.overlays import OverlayContext, scale_exposure
from indexer.strategy.overlays.base import hysteresis
from indexer.strategy.overlays.drawdown import guard_path

IDX = pd.date_range("2021-01-01", periods=400, freq="D", tz="UTC", name="timestamp")


def _data(prices: dict[str, np.ndarray], fear_greed: np.ndarray | None = None) -> MarketData:
    close = pd.DataFrame(prices, index=IDX[: len(next(iter(prices.values())))])
    close.columns.name = "asset"
    cap = close * 1e9
    sent = Sentiment(index=pd.Series(fear_greed, index=close.index, name="fear_greed")) if fear_greed is not None else Sentiment()
    reg = AssetRegistry(Asset(s, s, "currency") for s in prices)
    return MarketData(close=close, volume=close * 0 + 1e8, market_cap=cap, sentiment=sent, assets=reg)


def _ctx(data: MarketData, w: pd.Series) -> OverlayContext:
    return OverlayContext(data=data, as_of=data.end, base_weights=w)


W = pd.Series({"A": 0.6, "B": 0.4, CASH: 0.0})


def test_scale_exposure_moves_remainder_to_cash() -> None:
    out = scale_exposure(pd.Series({"A": 0.5, "B": 0.3, CASH: 0.2}), 0.5)
    assert out.to_dict() == pytest.approx({"A": 0.25, "B": 0.15, CASH: 0.6})
    assert scale_exposure(W, 1.7).equals(W.astype(float))  # never levers up


def test_vol_target_scales_to_target_from_realised_vol() -> None:
    rng = np.random.default_rng(0)
    r = rng.normal(0, 0.05, (400, 2))
    data = _data({"A": 100 * np.cumprod(1 + r[:, 0]), "B": 50 * np.cumprod(1 + r[:, 1])})
    ov = VolTarget(target=0.4, window=90)
    res = ov.apply(W, _ctx(data, W))
    rets = data.close.pct_change().iloc[-90:]
    vol = float((rets["A"] * 0.6 + rets["B"] * 0.4).std(ddof=1) * np.sqrt(365))
    assert res.info["realised_vol"] == pytest.approx(vol, rel=1e-6)
    assert 1 - res.weights[CASH] == pytest.approx(0.4 / vol, rel=1e-6)
    assert res.weights["A"] / res.weights["B"] == pytest.approx(1.5)
    calm = VolTarget(target=5.0, window=90).apply(W, _ctx(data, W))
    assert calm.weights[CASH] == 0.0 and calm.info["exposure"] == 1.0


def test_regime_filter_trend_and_sentiment_steps() -> None:
    n = 400
    up = np.linspace(100, 300, n)
    crash = np.r_[np.linspace(100, 300, 300), np.linspace(300, 120, 100)]
    greedy, fearful = np.full(n, 70.0), np.r_[np.full(n - 30, 70.0), np.full(30, 10.0)]
    ov = RegimeFilter(market="A", ma_days=200, band=0.02, fear_below=25, recover_above=45, exposures=[1.0, 0.5, 0.0])
    d = _data({"A": up, "B": up}, greedy)
    assert ov.apply(W, _ctx(d, W)).info["exposure"] == 1.0
    d = _data({"A": crash, "B": up}, greedy)
    res = ov.apply(W, _ctx(d, W))
    assert res.info["trend_bearish"] and not res.info["sentiment_bearish"]
    assert res.weights[CASH] == pytest.approx(0.5)
    d = _data({"A": crash, "B": up}, fearful)
    res = ov.apply(W, _ctx(d, W))
    assert res.info["trend_bearish"] and res.info["sentiment_bearish"]
    assert res.weights[CASH] == pytest.approx(1.0)


def test_regime_filter_recovers_with_hysteresis() -> None:
    # 30 bars at 90 (about 7% below the MA), then 10 bars at 98, about 1% above it: inside the 2% band
    # the state stays bearish; at 106 (well above) it turns bullish
    base = np.full(340, 100.0)
    path = base.copy()
    path[300:330] = 90.0
    inside = path.copy()
    inside[330:] = 98.0
    ov = RegimeFilter(market="A", ma_days=100, band=0.02, use_sentiment=False, exposures=[1.0, 0.0])
    d = _data({"A": inside, "B": base})
    assert ov.apply(W, _ctx(d, W)).info["trend_bearish"] is True
    above = path.copy()
    above[330:] = 106.0
    d = _data({"A": above, "B": base})
    assert ov.apply(W, _ctx(d, W)).info["trend_bearish"] is False


def test_regime_filter_cap_weighted_market_and_stale_sentiment() -> None:
    down = np.r_[np.linspace(100, 200, 300), np.linspace(200, 80, 100)]
    fg = np.full(400, 10.0)
    d = _data({"A": down, "B": down * 2}, fg)
    sent = d.sentiment.index.iloc[:-30]  # last value 30 days old
    from dataclasses import replace

    d2 = replace(d, sentiment=Sentiment(index=sent))
    ov = RegimeFilter(market="cap_weighted", sentiment_max_stale_days=10)
    res = ov.apply(W, _ctx(d2, W))
    assert res.info["trend_bearish"] is True
    assert res.info["sentiment_bearish"] is False and "stale" in res.info["note"]
    assert res.weights[CASH] == pytest.approx(0.5)


def test_hysteresis_switch() -> None:
    enter = np.array([0, 1, 0, 0, 0, 1, 0], dtype=bool)
    leave = np.array([1, 0, 0, 1, 0, 0, 1], dtype=bool)
    assert hysteresis(enter, leave).tolist() == [False, True, True, False, False, True, False]


def test_guard_path_derisks_and_rerisks_by_rules() -> None:
    eq = np.array([1.0, 1.1, 1.2, 0.95, 0.9, 1.0, 1.02, 1.1, 1.15])
    # dd: 0, 0, 0, .208, .25, .167, .15, .083, .042
    state, dd = guard_path(eq, max_drawdown=0.2, rerisk_drawdown=0.1, rerisk_after=None)
    assert dd[4] == pytest.approx(0.25)
    assert state.tolist() == [False, False, False, True, True, True, True, False, False]
    state, _ = guard_path(eq, max_drawdown=0.2, rerisk_drawdown=0.05, rerisk_after=2)
    assert state.tolist() == [False, False, False, True, True, False, False, False, False]


def test_drawdown_guard_on_prices() -> None:
    p = np.r_[np.linspace(100, 200, 300), np.linspace(200, 120, 60), np.full(40, 125.0)]
    d = _data({"A": p, "B": p})
    g = DrawdownGuard(max_drawdown=0.3, rerisk_drawdown=0.1, exposure=0.2, window=365)
    res = g.apply(W, _ctx(d, W))
    assert res.info["de_risked"] is True
    assert res.info["drawdown"] == pytest.approx(1 - 125 / 200, rel=1e-9)
    assert 1 - res.weights[CASH] == pytest.approx(0.2)
    q = np.r_[p[:360], np.linspace(120, 190, 40)]
    res = g.apply(W, _ctx(_data({"A": q, "B": q}), W))
    assert res.info["de_risked"] is False and res.weights[CASH] == 0.0


def test_cap_weighted_market_level_uses_yesterdays_caps() -> None:
    from indexer.strategy.overlays.regime_filter import market_level

    a = np.array([100.0, 110.0, 99.0, 120.0])
    b = np.array([10.0, 10.0, 12.0, 12.0])
    d = _data({"A": a, "B": b})  # caps = price x 1e9
    lvl = market_level(d, "cap_weighted").to_numpy()
    expect = [1.0]
    for t in range(1, 4):
        ca, cb = a[t - 1], b[t - 1]
        r = (ca * (a[t] / a[t - 1] - 1) + cb * (b[t] / b[t - 1] - 1)) / (ca + cb)
        expect.append(expect[-1] * (1 + r))
    np.testing.assert_allclose(lvl, expect, rtol=1e-12)
