"""Walk-forward ML blend: no prediction uses a target overlapping its training data (checked by construction)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from indexer.exceptions import SignalError
from indexer.models import WalkForwardRegressor, contributions, refit_date, training_mask


@pytest.fixture(scope="module")
def features(reference):
    """Real features: 30- and 90-day momentum of 12 reference assets; target: 30-day forward return."""
    close = reference.close[["BTC", "ETH", "LTC", "LINK", "ADA", "XRP", "DOGE", "BCH", "ETC", "EOS", "DASH", "ALGO"]]
    f = {"m30": close.pct_change(30, fill_method=None), "m90": close.pct_change(90, fill_method=None)}
    X = pd.concat({k: v.stack() for k, v in f.items()}, axis=1).dropna()
    X.index = X.index.set_names(["timestamp", "asset"])
    y = (close.shift(-30) / close - 1).stack().reindex(X.index)
    return X, y


@pytest.mark.parametrize("train_window", [None, 365])
def test_no_prediction_uses_an_overlapping_target(features, train_window) -> None:
    X, y = features
    wf = WalkForwardRegressor("ridge", horizon=30, purge=30, train_window=train_window, refit_every=60, min_train=100).fit(X, y)
    pred = wf.predict(X)
    times = pd.DatetimeIndex(X.index.get_level_values(0))
    assert pred.notna().sum() > len(pred) // 2
    for fold in wf.folds_:
        if fold["train_end"] is None:
            continue
        used_from = fold["refit"]
        # training targets end (sample + horizon) no later than the refit date, which precedes every prediction made with it
        assert fold["train_end"] + pd.Timedelta(days=30) <= used_from
        assert fold["max_target_end"] <= used_from
        if train_window is not None:
            assert fold["train_start"] > used_from - pd.Timedelta(days=30 + train_window)
    # every prediction at t comes from the model of refit_date(t) <= t
    for t in times.unique()[::97]:
        r = refit_date(t, 60)
        assert r <= t and (r - pd.Timestamp("1970-01-01", tz="UTC")).days % 60 == 0
        m = training_mask(times, r, 30, train_window)
        assert times[m].max() + pd.Timedelta(days=30) <= t if m.any() else True
    # rebuilding the model of one refit date from rows truncated at that date gives the same predictions
    r = wf.folds_[len(wf.folds_) // 2]["refit"]
    keep = times <= r
    y_known = y[keep].where(pd.DatetimeIndex(X.index.get_level_values(0))[keep] + pd.Timedelta(days=30) <= r)
    model, _ = wf.fit_one(X[keep], y_known, r)
    rows = (times >= r) & (times < r + pd.Timedelta(days=60))
    np.testing.assert_allclose(model.predict(X[rows].to_numpy()), pred[rows].to_numpy(), rtol=1e-10)


def test_purge_shorter_than_horizon_is_refused(features) -> None:
    X, y = features
    with pytest.raises(SignalError, match=r"purge \(5\) must be >= horizon \(30\)"):
        WalkForwardRegressor("ridge", horizon=30, purge=5).fit(X, y)
    with pytest.raises(SignalError, match="allowed: ridge, gbr"):
        WalkForwardRegressor("forest", min_train=10).fit(X, y)


def test_sklearn_contract_and_contributions(features) -> None:
    X, y = features
    est = WalkForwardRegressor("gbr", horizon=30, refit_every=365, min_train=100, sample_every=7)
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert not hasattr(twin, "models_")
    assert est.fit(X, y) is est and hasattr(est, "models_") and hasattr(est, "folds_")
    contrib = est.contributions(X.iloc[-50:])
    assert contrib.shape == (50, 2) and contrib.notna().all().all()
    ridge = WalkForwardRegressor("ridge", horizon=30, refit_every=365, min_train=100).fit(X, y)
    model = [m for m in ridge.models_.values() if m is not None][-1]
    c = contributions(model, X.iloc[-5:])
    np.testing.assert_allclose(c.sum(axis=1) + model.intercept_, model.predict(X.iloc[-5:].to_numpy()), rtol=1e-10)
