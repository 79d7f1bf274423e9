"""Normalisation and evaluation statistics against hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from indexer.exceptions import SignalError
from indexer.signals import (
    cs_rank,
    cs_zscore,
    ic_series,
    ic_summary,
    normalise,
    quantile_spread,
    signal_turnover,
    ts_ic,
    ts_zscore,
    winsorise,
)

IDX = pd.date_range("2024-01-01", periods=2, freq="D", tz="UTC", name="timestamp")


def _panel(rows):
    return pd.DataFrame(rows, index=IDX[: len(rows)], columns=pd.Index(list("ABCDE"), name="asset"), dtype=float)


def test_zscore_rank_winsor_by_hand() -> None:
    p = _panel([[1.0, 2.0, 3.0, np.nan, 100.0]])
    z = cs_zscore(p).iloc[0]
    x = np.array([1.0, 2.0, 3.0, 100.0])
    np.testing.assert_allclose(z[["A", "B", "C", "E"]], (x - x.mean()) / x.std())
    assert np.isnan(z["D"])
    w = winsorise(p, 0.25).iloc[0]
    assert w["A"] == pytest.approx(np.quantile(x, 0.25)) and w["E"] == pytest.approx(np.quantile(x, 0.75))
    r = cs_rank(p).iloc[0]
    assert r[["A", "B", "C", "E"]].tolist() == pytest.approx([-1.0, -1 / 3, 1 / 3, 1.0])
    lone = cs_zscore(_panel([[np.nan, 5.0, np.nan, np.nan, np.nan]])).iloc[0]
    assert lone["B"] == 0.0  # one asset: neutral, not NaN
    with pytest.raises(SignalError, match="allowed: zscore, rank, ts_zscore, none"):
        normalise(p, "minmax")
    with pytest.raises(SignalError, match=r"winsor must be a fraction in \[0, 0.5\)"):
        winsorise(p, 0.7)


def test_ts_zscore_is_point_in_time(news_slice) -> None:
    p = news_slice.close[["BTC", "ETH"]]
    full = ts_zscore(p, min_periods=30)
    cut = ts_zscore(p.loc[:"2023-01-15"], min_periods=30)
    pd.testing.assert_frame_equal(cut, full.loc[:"2023-01-15"])
    x = p["BTC"].loc[:"2023-01-15"]
    assert full.loc["2023-01-15", "BTC"] == pytest.approx((x.iloc[-1] - x.mean()) / x.std())


def test_ic_matches_scipy_and_summary(news_slice) -> None:
    close = news_slice.close
    sig = close.pct_change(30, fill_method=None)
    ic = ic_series(sig, close, 7)
    t = pd.Timestamp("2023-01-31", tz="UTC")
    fwd = close.shift(-7) / close - 1
    df = pd.DataFrame({"s": sig.loc[t], "f": fwd.loc[t]}).dropna()
    assert ic.loc[t] == pytest.approx(stats.spearmanr(df["s"], df["f"]).statistic, rel=1e-9)
    s = ic_summary(ic, 7)
    sub = ic.dropna().iloc[::7]
    assert s["t_stat"] == pytest.approx(sub.mean() / sub.std() * np.sqrt(len(sub)))
    assert s["n_indep"] == len(sub)
    one = ts_ic(sig["BTC"], close["BTC"], 7)
    d = pd.DataFrame({"s": sig["BTC"], "f": fwd["BTC"]}).dropna().iloc[::7]
    assert one["ic"] == pytest.approx(stats.spearmanr(d["s"], d["f"]).statistic) and one["n"] == len(d)


def test_quantile_spread_and_turnover_by_hand() -> None:
    idx = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC", name="timestamp")
    cols = pd.Index(list("ABCDEF"), name="asset")
    close = pd.DataFrame([[1, 1, 1, 1, 1, 1], [1.1, 1.2, 1.0, 0.9, 1.3, 0.8], [1, 1, 1, 1, 1, 1]], index=idx, columns=cols, dtype=float)
    sig = pd.DataFrame([[6, 5, 4, 3, 2, 1]] * 3, index=idx, columns=cols, dtype=float)
    sp = quantile_spread(sig, close, 1, quantiles=3).iloc[0]
    assert sp == pytest.approx(np.mean([0.1, 0.2]) - np.mean([0.3, -0.2]))
    assert signal_turnover(sig, 1, min_assets=3) == pytest.approx(0.0)
    assert signal_turnover(sig * [1, -1, 1, -1, 1, -1] ** np.arange(3)[:, None], 1, min_assets=3) > 0.5
