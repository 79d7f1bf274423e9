"""The first strategy on the real reference data, checked against an independent computation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indexer.strategy import Strategy

REPO = Path(__file__).resolve().parents[2]
DATES = ["2021-03-01", "2022-07-01", "2024-06-01", "2025-10-01"]


@pytest.fixture(scope="module")
def top10() -> Strategy:
    return Strategy.from_yaml(REPO / "strategies" / "top10_capped.yaml")


def _independent(data, as_of: str) -> pd.Series:
    """Top 10 non-stablecoins by latest cap (<= 35 bars old) with >= 90 bars, cap weights capped at 25%."""
    t = pd.Timestamp(as_of, tz="UTC")
    close = data.close.loc[:t]
    caps = data.market_cap.loc[:t].iloc[-36:].ffill().iloc[-1]
    stable = {s for s in data.symbols if data.assets.kind(s) == "stablecoin"}
    ok = [s for s in data.symbols if s not in stable and np.isfinite(close[s].iloc[-1])
          and close[s].notna().sum() >= 90 and np.isfinite(caps[s])]
    top = caps[ok].sort_values(ascending=False).iloc[:10]
    w = top / top.sum()
    for _ in range(20):  # water-fill the 25% cap
        over = w > 0.25 + 1e-12
        if not over.any():
            break
        free = ~over & (w < 0.25 - 1e-12)
        excess = float((w[over] - 0.25).sum())
        w[over] = 0.25
        w[free] += excess * w[free] / w[free].sum()
    return w


@pytest.mark.parametrize("as_of", DATES)
def test_matches_independent_capped_cap_weights(reference, top10: Strategy, as_of: str) -> None:
    tp = top10.target(reference, as_of)
    expect = _independent(reference, as_of)
    got = tp.invested[tp.invested > 0]
    assert sorted(got.index) == sorted(expect.index)
    assert len(got) == 10
    np.testing.assert_allclose(got[expect.index].to_numpy(), expect.to_numpy(), atol=1e-9)
    assert tp.cash == pytest.approx(0.0, abs=1e-12)
    assert got.max() <= 0.25 + 1e-9
    assert not set(got.index) & set(reference.assets.stablecoins())


def test_diagnostics_carry_universe_and_optimiser(reference, top10: Strategy) -> None:
    tp = top10.target(reference, "2024-06-01")
    d = tp.diagnostics
    assert d["strategy"] == "top10_capped"
    assert len(d["universe"]) == 10
    assert any(e["rule"] == "exclude_kinds" for e in d["universe_log"])
    assert "objective" in d["optimiser"] or d["optimiser"]
    assert d["overlays"] == [] and d["compliance_log"] == []
    assert top10.lookback == 90


def test_young_assets_wait_for_90_days(reference, top10: Strategy) -> None:
    first = reference.close.apply(lambda c: c.first_valid_index())
    young = first[first > reference.start + pd.Timedelta(days=30)]
    assert len(young), "reference data should list assets that start later"
    sym, start = young.index[0], young.iloc[0]
    tp = top10.target(reference, start + pd.Timedelta(days=60))
    assert tp.weights.get(sym, 0.0) == 0.0
    assert any(e["asset"] == sym and e["rule"] == "min_history_days" for e in tp.diagnostics["universe_log"])


def test_before_any_data_is_a_clear_error(reference, top10: Strategy) -> None:
    from indexer.exceptions import DataError

    with pytest.raises(DataError, match="no data up to 2010-01-01"):
        top10.target(reference, "2010-01-01")
