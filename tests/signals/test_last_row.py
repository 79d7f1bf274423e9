"""The fast last-row path equals the whole-history computation, for every registered signal and for ``score``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer.signals import ScoringSpec, available, get, score
from indexer.signals.score import last_row_window

#: floating-point only: rolling sums over a long history vs a short window (trend_tstat's moments ~1e-9)
RTOL = 1e-8


def _dates(data, k: int = 9) -> pd.DatetimeIndex:
    idx = data.close.index
    return idx[np.linspace(0, len(idx) - 1, k).astype(int)]


@pytest.mark.parametrize("dataset", ["news_slice", "btc_history"])
@pytest.mark.parametrize("name", available())
def test_last_equals_full_panel_last_row(name: str, dataset: str, request: pytest.FixtureRequest) -> None:
    data = request.getfixturevalue(dataset)
    sig = get(name)
    w = sig.last_row_window
    assert w is None or (isinstance(w, int) and w >= 1)
    full = sig(data)
    seen = 0
    for t in _dates(data):
        got = sig.last(data.until(t))  # sees only data up to t (and only its window of it)
        exp = full.loc[t]
        assert got.index.equals(exp.index)
        np.testing.assert_array_equal(got.isna().to_numpy(), exp.isna().to_numpy(), err_msg=f"{name} NaNs at {t}")
        np.testing.assert_allclose(got.to_numpy(dtype=float), exp.to_numpy(dtype=float), rtol=RTOL, atol=1e-12,
                                   err_msg=f"{name} at {t}")
        seen += int(exp.notna().sum())
    if w is not None and name in ("momentum", "vol_adjusted_momentum", "trend_tstat", "ma_slope", "volume", "amihud"):
        assert seen > 0, f"{name}: no values compared"


def test_windows_are_declared_where_exact() -> None:
    assert get("momentum", horizon=30, skip=5).last_row_window == 36
    assert get("vol_adjusted_momentum", horizon=30, vol_window=90).last_row_window == 91
    assert get("active_address_growth", window=30, smooth=7, ffill_limit=7).last_row_window == 44
    assert get("news_sentiment").last_row_window is None  # exponential decay over the whole history


@pytest.mark.parametrize("normalise", ["zscore", "rank", "none"])
def test_score_fast_path_equals_full_history(normalise: str, news_slice) -> None:
    names = [n for n in available() if get(n).last_row_window is not None]
    spec = ScoringSpec(signals=[{"name": n, "weight": 1.0 + i} for i, n in enumerate(names)], normalise=normalise)
    assert last_row_window(spec) is not None
    compared = 0
    for t, assets in zip(_dates(news_slice, 6)[1:], [news_slice.symbols, news_slice.symbols[::-2]] * 3, strict=False):
        pit = news_slice.until(t)
        fast, full = score(pit, spec, assets), score(pit, spec, assets, full_history=True)
        pd.testing.assert_series_equal(fast.scores, full.scores, rtol=RTOL, atol=1e-12)
        pd.testing.assert_frame_equal(fast.contributions, full.contributions, rtol=RTOL, atol=1e-12)
        assert fast.diagnostics["missing"] == full.diagnostics["missing"]
        raw_f, raw_s = fast.diagnostics["raw"], full.diagnostics["raw"]
        assert raw_f.keys() == raw_s.keys()
        for k in raw_f:
            a = np.array([np.nan if v is None else v for v in raw_f[k].values()])
            b = np.array([np.nan if v is None else v for v in raw_s[k].values()])
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-12)
        compared += int(full.scores.ne(0).sum())
    assert compared > 0


def test_full_history_needed_for_ml_ts_zscore_and_unwindowed_signals() -> None:
    assert last_row_window(ScoringSpec(signals=[{"name": "momentum"}], model={"type": "ridge"})) is None
    assert last_row_window(ScoringSpec(signals=[{"name": "momentum"}], normalise="ts_zscore")) is None
    assert last_row_window(ScoringSpec(signals=[{"name": "momentum"}, {"name": "news_sentiment"}])) is None
    assert last_row_window(ScoringSpec(signals=[{"name": "momentum", "params": {"horizon": 90}}])) == 91


def test_normalise_rows_equals_the_panel_normalisers(news_slice) -> None:
    from indexer.exceptions import SignalError
    from indexer.signals import normalise
    from indexer.signals.normalise import normalise_rows

    panel = get("momentum", horizon=30)(news_slice)
    for method in ("zscore", "rank", "none"):
        for winsor in (0.0, 0.1):
            got = normalise_rows(panel.to_numpy(), method, winsor)
            np.testing.assert_allclose(got, normalise(panel, method, winsor).to_numpy(), rtol=1e-12, atol=1e-12)
    with pytest.raises(SignalError, match="ts_zscore"):
        normalise_rows(panel.to_numpy(), "ts_zscore")


def test_rolling_std_short_path_equals_pandas() -> None:
    from indexer.signals._util import rolling_std

    rng = np.random.default_rng(1)
    v = rng.normal(0, 0.03, (40, 4))
    v[:, 1] = 0.01  # constant: exactly 0, as pandas
    v[35, 2] = np.nan  # a gap: NaN while it is in the window
    panel = pd.DataFrame(v, index=pd.date_range("2024-01-01", periods=40, tz="UTC"), columns=list("ABCD"))
    for w in (10, 30, 40):
        got, exp = rolling_std(panel, w), panel.rolling(w, min_periods=w).std()
        pd.testing.assert_frame_equal(got, exp, rtol=1e-10, atol=1e-14)
    assert (rolling_std(panel, 30)["B"].dropna() == 0.0).all()
