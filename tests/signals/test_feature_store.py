"""The run-scoped feature store (incremental ML blend) equals the whole-history recomputation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer.runcache import RunCache
from indexer.signals import ScoringSpec, get, score
from indexer.signals.features import feature_store
from indexer.signals.news_state import NewsState

ML = {
    "signals": [
        {"name": "momentum", "params": {"horizon": 30}, "label": "mom_30d"},
        {"name": "momentum", "params": {"horizon": 90, "skip": 7}, "label": "mom_90d"},
        {"name": "trend_tstat", "params": {"window": 60}, "weight": 0.5},
        {"name": "amihud", "weight": 0.25},
        {"name": "news_sentiment", "weight": 0.5},
        {"name": "nvt", "weight": 0.25},
    ],
    "normalise": "zscore",
    "winsor": 0.05,
    "model": {"type": "ridge", "horizon": 30, "train_window": 365, "refit_every": 30, "purge": 30, "min_train": 200,
              "sample_every": 5},
}  # fmt: skip


def _dates(data, start: str, every: int) -> pd.DatetimeIndex:
    idx = data.close.index
    return idx[idx.searchsorted(pd.Timestamp(start, tz="UTC")) :: every]


def test_news_state_equals_the_signal_panel_on_growing_views(reference) -> None:
    data = reference.between("2021-01-01", "2023-03-31")
    sig = get("news_sentiment")
    full = sig(data).to_numpy()
    dates = _dates(data, "2022-06-01", 45)
    st = NewsState(sig)
    first = data.until(dates[0])
    got = [st.build(first)]
    n = len(first.close)
    for t in dates[1:]:
        view = data.until(t)
        got.append(st.extend(view, n))
        n = len(view.close)
    got = np.concatenate(got)
    exp = full[: len(got)]
    assert np.isfinite(exp).sum() > 500  # texts were scored and decayed
    np.testing.assert_array_equal(np.isnan(got), np.isnan(exp))
    np.testing.assert_allclose(got, exp, rtol=1e-12, atol=1e-15)


def test_store_rows_equal_each_signal_computed_on_the_view(reference) -> None:
    data = reference.between("2021-01-01", "2023-03-31")
    spec = ScoringSpec.model_validate(ML)
    sigs = [s.build() for s in spec.signals]
    with RunCache():
        for t in _dates(data, "2022-01-01", 60):
            view = data.until(t)
            store = feature_store(view, sigs, spec.labels, "test")
            for label, sig in zip(spec.labels, sigs, strict=True):
                exp = sig(view).to_numpy()
                got = store.raw[label][: len(view.close)]
                np.testing.assert_array_equal(np.isnan(got), np.isnan(exp), err_msg=label)
                np.testing.assert_allclose(got, exp, rtol=1e-8, atol=1e-10, err_msg=label)  # rolling sums: window vs whole history
        assert store.builds == 1 and store.extensions >= 5
    assert feature_store(view, sigs, spec.labels, "test") is None  # outside a run: no store


@pytest.mark.parametrize("normalise", ["zscore", "ts_zscore"])
def test_incremental_score_equals_full_recomputation(reference, normalise: str) -> None:
    data = reference.between("2020-06-01", "2023-06-30")
    spec = ScoringSpec.model_validate({**ML, "normalise": normalise})
    universes = [data.symbols[:12], data.symbols[3:15]]
    fitted = 0
    with RunCache() as cache:
        for i, t in enumerate(_dates(data, "2021-09-01", 31)):
            view = data.until(t)
            assets = [a for a in universes[i % 2] if view.close[a].notna().iloc[-1]]
            fast, full = score(view, spec, assets), score(view, spec, assets, full_history=True)
            pd.testing.assert_series_equal(fast.scores, full.scores, rtol=1e-9, atol=1e-12)
            pd.testing.assert_frame_equal(fast.contributions, full.contributions, rtol=1e-9, atol=1e-12)
            assert fast.diagnostics["model_status"] == full.diagnostics["model_status"]
            assert fast.diagnostics["training"] == full.diagnostics["training"]
            fitted += "fitted" in fast.diagnostics["model_status"]
        store = cache.values("signals.features")[0]
        assert store.builds == 1
    assert fitted >= 10
