"""Momentum and liquidity signals against values computed by hand on real BTC/ETH closes and volumes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from indexer.signals import get

T = "2023-01-31"


def _window(series, end, n):
    s = series.loc[:end]
    return s.iloc[-n:]


def test_momentum_with_skip(news_slice) -> None:
    c = news_slice.close["ETH"]
    closes = c.loc[:T]
    expected = closes.iloc[-1 - 7] / closes.iloc[-1 - 7 - 30] - 1.0
    got = get("momentum", horizon=30, skip=7)(news_slice).loc[T, "ETH"]
    assert got == pytest.approx(expected, rel=1e-12)
    ts = get("momentum", horizon=30, skip=7, mode="time_series")(news_slice).loc[T, "ETH"]
    assert ts == np.sign(expected)


def test_vol_adjusted_momentum(news_slice) -> None:
    lc = np.log(_window(news_slice.close["BTC"], T, 61).to_numpy())
    sd = np.std(np.diff(lc), ddof=1)
    expected = (lc[-1] - lc[-61]) / (sd * np.sqrt(60))
    got = get("vol_adjusted_momentum", horizon=60, vol_window=60)(news_slice).loc[T, "BTC"]
    assert got == pytest.approx(expected, rel=1e-9)


def test_trend_tstat_matches_linregress(news_slice) -> None:
    y = np.log(_window(news_slice.close["BTC"], T, 45).to_numpy())
    r = stats.linregress(np.arange(45), y)
    got = get("trend_tstat", window=45)(news_slice).loc[T, "BTC"]
    assert got == pytest.approx(r.slope / r.stderr, rel=1e-6)


def test_ma_slope(news_slice) -> None:
    c = news_slice.close["BTC"].loc[:T]
    ma_now = c.iloc[-20:].mean()
    ma_then = c.iloc[-25:-5].mean()
    got = get("ma_slope", window=20, slope_days=5)(news_slice).loc[T, "BTC"]
    assert got == pytest.approx(ma_now / ma_then - 1.0, rel=1e-12)


def test_volume_and_amihud(news_slice) -> None:
    v = _window(news_slice.volume["ETH"], T, 14).to_numpy()
    c = _window(news_slice.close["ETH"], T, 15).to_numpy()
    r = np.abs(c[1:] / c[:-1] - 1.0)
    assert get("volume", window=14)(news_slice).loc[T, "ETH"] == pytest.approx(np.log(v.mean()), rel=1e-12)
    assert get("amihud", window=14)(news_slice).loc[T, "ETH"] == pytest.approx(-np.log(np.mean(r / v)), rel=1e-9)
    # BTC trades far more dollars than a small coin: more liquid, higher score
    am = get("amihud", window=30)(news_slice).loc[T]
    assert am["BTC"] > am["CVC"]


def test_bad_parameters_are_named() -> None:
    from indexer.exceptions import SignalError

    with pytest.raises(SignalError, match="horizon must be an integer >= 1"):
        get("momentum", horizon=0)
    with pytest.raises(SignalError, match="mode must be one of"):
        get("momentum", mode="sideways")
    with pytest.raises(SignalError, match=r"unknown parameter\(s\) \['horizn'\]; allowed: \['horizon', 'skip', 'mode'\]"):
        get("momentum", horizn=30)
