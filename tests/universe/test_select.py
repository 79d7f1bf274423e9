"""Universe selection: top N, screens, kinds, themes, include/exclude, the rank buffer."""

from __future__ import annotations

import pandas as pd
import pytest

from indexer import CASH
from indexer.exceptions import DataError
from indexer.universe import UniverseSpec, select_universe


def test_top_n_by_market_cap_in_rank_order(ranked_data) -> None:
    res = select_universe(ranked_data, UniverseSpec(top_n=5))
    assert res.assets == ["A01", "A02", "A03", "A04", "A05"]
    assert res.ranks["A07"] == 7
    assert {e["asset"] for e in res.log if e["rule"] == "rank"} == {f"A{i:02d}" for i in range(6, 16)}


def test_rank_by_volume(make_data) -> None:
    data = make_data({"X": 3e9, "Y": 2e9, "Z": 1e9}, volume={"X": 1e6, "Y": 5e7, "Z": 9e7})
    assert select_universe(data, UniverseSpec(top_n=2, rank_by="volume")).assets == ["Z", "Y"]


def test_screens_history_volume_cap_and_kinds(make_data) -> None:
    data = make_data(
        {"BIG": 9e9, "STAB": 8e9, "WRAP": 7e9, "EXCH": 6e9, "YOUNG": 5e9, "THIN": 4e9, "TINY": 1e6, "OK": 3e9},
        kinds={"STAB": "stablecoin", "WRAP": "wrapped", "EXCH": "exchange"},
        start={"YOUNG": 150},
        volume={"THIN": 1e3},
    )
    spec = UniverseSpec(
        min_history_days=90,
        min_median_volume_usd=1e5,
        min_market_cap_usd=1e7,
        exclude_kinds=["stablecoin", "wrapped", "exchange"],
    )
    res = select_universe(data, spec)
    assert res.assets == ["BIG", "OK"]
    rules = {e["asset"]: e["rule"] for e in res.log}
    assert rules == {
        "STAB": "exclude_kinds",
        "WRAP": "exclude_kinds",
        "EXCH": "exclude_kinds",
        "YOUNG": "min_history_days",
        "THIN": "min_median_volume_usd",
        "TINY": "min_market_cap_usd",
    }
    assert "YOUNG has 50 bars < 90" in next(e["detail"] for e in res.log if e["asset"] == "YOUNG")


def test_no_price_at_as_of_is_not_a_candidate(make_data) -> None:
    data = make_data({"A": 2e9, "B": 1e9})
    close = data.close.copy()
    close.iloc[-1, 0] = float("nan")
    from dataclasses import replace

    res = select_universe(replace(data, close=close), UniverseSpec())
    assert res.assets == ["B"]


def test_themes_and_exclusions(make_data) -> None:
    data = make_data(
        {"FET": 5e9, "UNI": 4e9, "DOGE": 3e9, "AAVE": 2e9, "TAO": 1e9},
        kinds={"FET": "ai", "UNI": "defi", "DOGE": "meme", "AAVE": "defi", "TAO": "ai"},
        themes={"FET": ("ai", "compute"), "UNI": ("defi", "dex"), "DOGE": ("meme",), "AAVE": ("defi", "lending"),
                "TAO": ("ai",)},
    )
    res = select_universe(data, UniverseSpec(themes=["ai", "defi"], exclude_themes=["dex"], exclude=["TAO"]))
    assert res.assets == ["FET", "AAVE"]
    rules = {e["asset"]: e["rule"] for e in res.log}
    assert rules == {"DOGE": "themes", "UNI": "exclude_themes", "TAO": "exclude"}


def test_include_forces_an_asset_outside_the_top(ranked_data) -> None:
    res = select_universe(ranked_data, UniverseSpec(top_n=3, include=["a12"]))
    assert res.assets == ["A01", "A02", "A03", "A12"]
    assert any(e["asset"] == "A12" and e["action"] == "included" for e in res.log)


def _held(*assets: str) -> pd.Series:
    w = pd.Series({a: 1.0 / len(assets) for a in assets})
    w[CASH] = 0.0
    return w


def test_buffer_keeps_incumbents_until_rank_12_and_admits_only_rank_8(ranked_data) -> None:
    spec = UniverseSpec(top_n=10, buffer={"enter": 8, "exit": 12})
    # holdings A01-A08 plus A11, A13: A11 (rank 11 <= 12) stays, A13 (rank 13 > 12) leaves,
    # and the freed slot goes to the best-ranked non-holder (A09).
    prev = _held("A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A11", "A13")
    res = select_universe(ranked_data, spec, previous=prev)
    assert res.assets == ["A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A09", "A11"]
    # without previous: plain top 10
    assert select_universe(ranked_data, spec).assets == [f"A{i:02d}" for i in range(1, 11)]


def test_buffer_new_entrant_at_rank_8_displaces_worst_incumbent(ranked_data) -> None:
    spec = UniverseSpec(top_n=10, buffer={"enter": 8, "exit": 12})
    prev = _held("A01", "A02", "A03", "A04", "A05", "A06", "A07", "A09", "A10", "A12")
    res = select_universe(ranked_data, spec, previous=prev)
    # A08 (rank 8) enters; 11 candidates -> the worst-ranked incumbent A12 drops
    assert res.assets == ["A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A09", "A10"]
    # A09 held at rank 9 and A11 not held at rank 11: A11 cannot enter (needs rank <= 8)
    prev2 = _held("A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A09", "A10")
    assert "A11" not in select_universe(ranked_data, spec, previous=prev2).assets


def test_buffer_reduces_churn_on_noisy_ranks(make_data) -> None:
    """Assets hovering around the cut-off: the buffer changes membership far less often."""
    import numpy as np

    rng = np.random.default_rng(3)
    syms = [f"S{i:02d}" for i in range(16)]
    base = np.linspace(20e9, 5e9, 16)
    plain = UniverseSpec(top_n=10)
    buf = UniverseSpec(top_n=10, buffer={"enter": 8, "exit": 12})
    prev_p = prev_b = None
    churn_p = churn_b = 0
    for k in range(40):
        caps = dict(zip(syms, base * np.exp(rng.normal(0, 0.15, 16)), strict=True))
        data = make_data(caps, days=5, seed=k)
        sp = select_universe(data, plain, previous=prev_p).assets
        sb = select_universe(data, buf, previous=prev_b).assets
        if prev_p is not None:
            churn_p += len(set(sp) - set(prev_p.index))
            churn_b += len(set(sb) - set(prev_b.index))
        prev_p, prev_b = _held(*sp), _held(*sb)
    assert churn_b < 0.6 * churn_p


def test_missing_panels_are_clear_errors(make_data) -> None:
    from dataclasses import replace

    data = make_data({"A": 1e9})
    with pytest.raises(DataError, match="market_cap panel"):
        select_universe(replace(data, market_cap=None), UniverseSpec())
    with pytest.raises(DataError, match="volume panel"):
        select_universe(replace(data, volume=None), UniverseSpec(min_median_volume_usd=1.0))
    assert select_universe(replace(data, market_cap=None), UniverseSpec(rank_by="volume")).assets == ["A"]


def test_stale_market_cap_is_unknown(make_data) -> None:
    data = make_data({"A": 2e9, "B": 1e9})
    cap = data.market_cap.copy()
    cap.iloc[-50:, 0] = float("nan")
    from dataclasses import replace

    res = select_universe(replace(data, market_cap=cap), UniverseSpec(max_stale_days=35))
    assert res.assets == ["B"]
    res = select_universe(replace(data, market_cap=cap), UniverseSpec(max_stale_days=60))
    assert res.assets == ["A", "B"]
