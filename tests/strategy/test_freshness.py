"""Freshness rules on the real reference data: declared inputs, ages, block, drop + renormalise, records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indexer.exceptions import ConfigError
from indexer.strategy import Strategy
from indexer.strategy.freshness import (
    StaleInputsError,
    apply_fallbacks,
    check_freshness,
    decide,
    input_needs,
    requirements,
)

REPO = Path(__file__).resolve().parents[2]
AS_OF = pd.Timestamp("2023-05-30", tz="UTC")  # reference news end 2023-05-31, Fear & Greed 2025-05-02


def _mom_news(**news: object) -> Strategy:
    return Strategy.from_dict({
        "name": "mom_news",
        "universe": {"top_n": 5, "rank_by": "market_cap", "min_history_days": 90},
        "signals": {"signals": [{"name": "momentum", "params": {"horizon": 30}, "weight": 1.0},
                                {"name": "amihud", "weight": 0.5},
                                {"name": "news_sentiment", "weight": 1.0, **news}]},
        "optimiser": {"objective": "market_cap"},
    })


def test_ai_index_declares_every_input_with_its_default_age() -> None:
    s = Strategy.from_yaml(REPO / "strategies" / "ai_index.yaml")
    limits = {(r.key, r.user): (r.max_age_days, r.on_stale) for r in requirements(s)}
    assert limits[("close", "universe")] == (1.0, "block")
    assert limits[("market_cap", "universe")] == (2.0, "block")
    assert limits[("fear_greed", "overlay regime_filter")] == (3.0, "block")
    assert limits[("metric:FeeTotUSD", "signal fee_revenue")] == (7.0, "drop")
    assert limits[("news", "signal news_volume")] == (14.0, "drop")
    needs = input_needs(s, ["BTC", "ETH"])
    assert needs.inputs == {"close", "volume", "market_cap", "fear_greed", "news", "metric:FeeTotUSD"}
    assert needs.sources() == ["ohlcv", "market_cap", "fear_greed", "onchain", "news"] and needs.assets == ("BTC", "ETH")
    top10 = Strategy.from_yaml(REPO / "strategies" / "top10_capped.yaml")
    assert input_needs(top10).sources() == ["ohlcv", "market_cap"]  # only what that strategy reads


def test_ages_are_measured_from_the_close_of_each_observation(reference) -> None:
    s = _mom_news()
    now = AS_OF + pd.Timedelta(days=1, hours=6)  # 06:00 UTC the day after the bar
    fr = check_freshness(s, reference, now, as_of=AS_OF)
    assert fr.inputs["close"]["last"] == "2023-05-30" and fr.inputs["close"]["age_days"] == pytest.approx(0.25)
    assert fr.inputs["news"]["last"] == "2023-05-30"  # a text dated after as_of is not seen
    assert fr.ok and fr.fallbacks == {} and fr.message() == "all 4 inputs fresh"
    late = check_freshness(s, reference, now + pd.Timedelta(days=1), as_of=AS_OF)  # 1.25 days > 1
    assert not late.ok and late.blocked == [
        "close last 2023-05-30, 1.25 days old > 1; needed by universe, signal momentum, signal amihud, signal news_sentiment",
        "volume last 2023-05-30, 1.25 days old > 1; needed by signal amihud"]


def test_stale_signal_blocks_by_default_and_the_error_names_it(reference) -> None:
    s = _mom_news()
    as_of = pd.Timestamp("2023-07-31", tz="UTC")  # 61 days after the last text
    with pytest.raises(StaleInputsError, match=r"news last 2023-05-31, 61\.25 days old > 14; needed by signal news_sentiment"):
        decide(s, reference, as_of, now=as_of + pd.Timedelta(days=1, hours=6))


def test_drop_renormalises_the_blend_and_is_recorded(reference) -> None:
    as_of = pd.Timestamp("2023-07-31", tz="UTC")
    now = as_of + pd.Timedelta(days=1, minutes=5)
    tp = decide(_mom_news(on_stale="drop"), reference, as_of, now=now)
    fr = tp.diagnostics["freshness"]
    assert fr["ok"] and list(fr["dropped_signals"]) == ["news_sentiment"]
    assert "news last 2023-05-31" in fr["dropped_signals"]["news_sentiment"]
    # the same decision as a strategy written without the signal: weights 1 and 0.5 renormalised to 2/3, 1/3
    without = Strategy.from_dict({**_mom_news().spec.model_dump(exclude={"signals"}),
                                  "signals": {"signals": [{"name": "momentum", "params": {"horizon": 30}},
                                                          {"name": "amihud", "weight": 0.5}]}})
    ref = without.target(reference, as_of)
    assert tp.weights.round(12).to_dict() == ref.weights.round(12).to_dict()
    assert tp.diagnostics["scores"] == pytest.approx(ref.diagnostics["scores"])
    contrib = pd.DataFrame(tp.diagnostics["contributions"])
    assert "news_sentiment" not in contrib.index and "news_sentiment" not in contrib.columns


def test_regime_filter_fallback_ignores_only_the_sentiment_condition(reference) -> None:
    doc = Strategy.from_yaml(REPO / "strategies" / "top10_risk_managed.yaml").spec.model_dump()
    if not any(o["name"] == "regime_filter" for o in doc["overlays"]):
        doc["overlays"].append({"name": "regime_filter", "use_sentiment": True})
    as_of = pd.Timestamp("2025-08-01", tz="UTC")  # Fear & Greed ends 2025-05-02
    now = as_of + pd.Timedelta(days=1, minutes=5)
    blocked = Strategy.from_dict(doc)
    with pytest.raises(StaleInputsError, match="fear_greed last 2025-05-02.*needed by overlay regime_filter"):
        decide(blocked, reference, as_of, now=now)
    doc["freshness"] = {"on_stale": {"regime_filter": "drop"}}
    tp = decide(Strategy.from_dict(doc), reference, as_of, now=now)
    assert "Fear & Greed condition ignored" in tp.diagnostics["freshness"]["overlay_fallbacks"]["regime_filter"]
    reg = next(o for o in tp.diagnostics["overlays"] if o["name"] == "regime_filter")
    assert reg["sentiment_bearish"] is False and reg.get("note") == "sentiment disabled"
    replay = apply_fallbacks(Strategy.from_dict(doc), tp.diagnostics["freshness"])  # from the recorded report
    assert np.allclose(replay.target(reference, as_of).weights.to_numpy(), tp.weights.to_numpy())


def test_every_signal_dropped_blocks(reference) -> None:
    s = Strategy.from_dict({"name": "news_only", "universe": {"top_n": 3, "min_history_days": 30},
                            "signals": {"signals": [{"name": "news_sentiment", "on_stale": "drop"}]},
                            "optimiser": {"objective": "equal_weight"}})
    fr = check_freshness(s, reference, "2024-01-02", as_of="2024-01-01")
    assert not fr.ok and fr.blocked[-1].startswith("every signal would be dropped")


def test_freshness_block_is_validated() -> None:
    with pytest.raises(ConfigError, match="freshness.on_stale: 'vol_target' is not an overlay"):
        Strategy.from_dict({"name": "x", "freshness": {"on_stale": {"vol_target": "drop"}}})
    with pytest.raises(ConfigError, match="freshness.max_age_days"):
        Strategy.from_dict({"name": "x", "freshness": {"max_age_days": {"tweets": 2}}})
    with pytest.raises(ConfigError, match="on_stale"):
        Strategy.from_dict({"name": "x", "signals": {"signals": [{"name": "momentum", "on_stale": "ignore"}]},
                            "optimiser": {"objective": "mean_variance"}})
    s = Strategy.from_dict({"name": "x", "freshness": {"max_age_days": {"prices": 2}}})
    assert {r.key: r.max_age_days for r in requirements(s)}["close"] == 2.0
