"""ScoringSpec validation and ``score``: fixed blend by hand, ML blend point-in-time and consistent with the panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from indexer.exceptions import SignalError
from indexer.signals import ScoringSpec, available, blend_panel, cs_zscore, get, score

ASSETS = ["BTC", "ETH", "LTC", "LINK", "ADA", "XRP", "DOGE", "SOL", "DOT", "BCH", "ETC", "EOS"]


def test_spec_errors_name_field_and_allowed_values() -> None:
    with pytest.raises(ValidationError, match="'momentun' is not a registered signal; allowed: active_address_growth"):
        ScoringSpec(signals=[{"name": "momentun"}])
    with pytest.raises(ValidationError, match="extra"):
        ScoringSpec(signals=[{"name": "momentum"}], normalize="zscore")
    with pytest.raises(ValidationError, match="unknown parameter"):
        ScoringSpec(signals=[{"name": "momentum", "params": {"window": 3}}])
    with pytest.raises(ValidationError, match=r"purge \(10\) must be >= horizon \(30\)"):
        ScoringSpec(signals=[{"name": "momentum"}], model={"type": "ridge", "horizon": 30, "purge": 10})
    with pytest.raises(ValidationError, match="'fixed', 'ridge' or 'gbr'"):
        ScoringSpec(signals=[{"name": "momentum"}], model={"type": "xgb"})
    spec = ScoringSpec(signals=[{"name": "momentum"}, {"name": "momentum", "params": {"horizon": 90}}])
    assert spec.labels == ["momentum", "momentum_2"]
    assert spec.lookback == 90
    dotted = ScoringSpec(signals=[{"name": "indexer.signals.momentum.Momentum", "params": {"horizon": 7}}])
    assert dotted.signals[0].build().horizon == 7


def test_fixed_blend_by_hand(reference) -> None:
    spec = ScoringSpec(
        signals=[{"name": "momentum", "params": {"horizon": 90}, "weight": 2.0}, {"name": "amihud", "weight": -1.0}],
        normalise="zscore",
        winsor=0.0,
    )
    pit = reference.until("2024-03-01")
    res = score(pit, spec, ASSETS)
    sub = pit.select(ASSETS)
    z1 = cs_zscore(get("momentum", horizon=90)(sub)).iloc[-1]
    z2 = cs_zscore(get("amihud")(sub)).iloc[-1]
    expected = (2.0 * z1 - 1.0 * z2) / 3.0
    np.testing.assert_allclose(res.scores[ASSETS], expected[ASSETS], rtol=1e-10)
    np.testing.assert_allclose(res.contributions.sum(axis=1), res.scores, rtol=1e-12)
    assert list(res.contributions.columns) == ["momentum", "amihud"]
    assert res.diagnostics["model_status"] == "fixed weights"
    scaled = score(pit, spec.model_copy(update={"scale": 0.02}), ASSETS)
    np.testing.assert_allclose(scaled.scores, 0.02 * res.scores, rtol=1e-12)
    np.testing.assert_allclose(scaled.contributions, 0.02 * res.contributions, rtol=1e-12)


def test_score_errors_and_missing_signal_is_neutral(reference) -> None:
    spec = ScoringSpec(signals=[{"name": "momentum"}, {"name": "news_sentiment"}])
    with pytest.raises(SignalError, match=r"assets \['NOPE'\] are not in the data"):
        score(reference, spec, ["BTC", "NOPE"])
    res = score(reference.until("2024-03-01"), spec, ASSETS)  # no news after 2023-05
    assert res.contributions["news_sentiment"].eq(0.0).all()
    assert res.diagnostics["missing"]["BTC"] == ["news_sentiment"]


@pytest.mark.parametrize("kind", ["ridge", "gbr"])
def test_ml_score_is_point_in_time_and_matches_the_oos_panel(reference, kind: str) -> None:
    spec = ScoringSpec(
        signals=[{"name": "momentum", "params": {"horizon": 90}}, {"name": "vol_adjusted_momentum"}, {"name": "amihud"}],
        model={"type": kind, "horizon": 30, "refit_every": 90, "train_window": 730},
    )
    data = reference.select(ASSETS).until("2024-06-30")
    panel, info = blend_panel(data, spec)
    for t in ["2023-03-15", "2024-06-30"]:
        ts = pd.Timestamp(t, tz="UTC")
        res = score(data.until(ts), spec, ASSETS)
        tr = res.diagnostics["training"]
        # by construction: every training target (train_end + horizon) ended by the refit date <= t
        assert pd.Timestamp(tr["max_target_end"]) <= pd.Timestamp(tr["refit"]) <= ts
        assert pd.Timestamp(tr["train_start"]) > pd.Timestamp(tr["refit"]) - pd.Timedelta(days=30 + 730)
        np.testing.assert_allclose(res.scores[ASSETS], panel.loc[ts, ASSETS], rtol=1e-8, atol=1e-12)
        if kind == "ridge":
            np.testing.assert_allclose(res.contributions.sum(axis=1) + res.diagnostics["intercept"], res.scores, rtol=1e-8)
    # changing the future does not change the score
    shocked = data.close.copy()
    shocked.loc["2023-03-16":] *= 3.0
    from dataclasses import replace

    res_a = score(data.until("2023-03-15"), spec, ASSETS)
    res_b = score(replace(data, close=shocked).until("2023-03-15"), spec, ASSETS)
    pd.testing.assert_series_equal(res_a.scores, res_b.scores)


def test_ml_falls_back_to_fixed_without_history(reference) -> None:
    spec = ScoringSpec(signals=[{"name": "momentum"}, {"name": "amihud"}], model={"type": "ridge", "min_train": 100000})
    res = score(reference.until("2021-01-01"), spec, ASSETS)
    assert res.diagnostics["model_status"].startswith("fallback to fixed blend")
    assert res.scores.notna().all()


def test_strategy_file_signals_block_round_trips() -> None:
    from indexer.strategy import Strategy

    s = Strategy.from_dict(
        {
            "name": "momentum_tilt",
            "universe": {"top_n": 10},
            "signals": {"signals": [{"name": "momentum", "params": {"horizon": 90}}], "model": {"type": "ridge"}},
            "optimiser": {"objective": "mean_variance"},
        }
    )
    assert isinstance(s.spec.signals, ScoringSpec)
    assert s.lookback >= s.spec.signals.lookback
    assert set(available()) >= {"momentum"}
