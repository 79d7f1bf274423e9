"""The untradeable policy respects the strategy's caps: water-filling, the rest in cash, noise is no position."""

from __future__ import annotations

import pandas as pd
import pytest

from indexer._typing import WeightCaps
from indexer.exceptions import ExecutionError
from indexer.execution import apply_untradeable
from indexer.execution.types import Market
from indexer.execution.untradeable import spread_within_caps
from indexer.strategy import Strategy

from .scenarios import STRATEGIES


def _markets(*bases: str) -> dict[str, Market]:
    return {f"{b}/USDT": Market(f"{b}/USDT", b, "USDT") for b in bases}


def test_spread_fills_up_to_the_caps_in_proportion():
    w = pd.Series({"A": 0.3, "B": 0.2, "C": 0.1})
    out, left = spread_within_caps(w, 0.3, WeightCaps(default=0.3))
    # A is at its cap; B and C grow together (x1.5) until B reaches 0.3, then C alone up to 0.3
    assert out.to_dict() == pytest.approx({"A": 0.3, "B": 0.3, "C": 0.3}) and left == pytest.approx(0.0)
    uncapped, left = spread_within_caps(w, 0.3)
    assert uncapped.to_dict() == pytest.approx({"A": 0.45, "B": 0.3, "C": 0.15}) and left == 0.0  # plain pro rata


def test_what_the_caps_cannot_take_is_left_over():
    out, left = spread_within_caps(pd.Series({"A": 0.3, "B": 0.3, "C": 0.2}), 0.2, WeightCaps(default=0.3))
    assert out.to_dict() == pytest.approx({"A": 0.3, "B": 0.3, "C": 0.3}) and left == pytest.approx(0.1)


def test_group_caps_and_per_asset_caps():
    caps = WeightCaps(default=1.0, per_asset={"A": 0.4}, groups=(("theme defi", frozenset({"B", "C"}), 0.25),))
    out, left = spread_within_caps(pd.Series({"A": 0.2, "B": 0.1, "C": 0.1}), 0.3, caps)
    # all grow x1.25 until the defi group reaches 0.25; then A alone up to its own cap 0.4; 0.05 left
    assert out.to_dict() == pytest.approx({"A": 0.4, "B": 0.125, "C": 0.125}) and left == pytest.approx(0.05)


def test_optimiser_noise_receives_nothing():
    """A 1e-12 weight (solver noise) is no position: once the real ones are full, the rest is cash, not a
    new 10 % position in an asset the strategy did not choose."""
    out, left = spread_within_caps(pd.Series({"ETH": 0.3, "LDO": 0.1, "BCH": 1e-12}), 0.3, WeightCaps(default=0.3))
    assert out["BCH"] == 1e-12 and out["LDO"] == pytest.approx(0.3) and left == pytest.approx(0.1)


def test_apply_untradeable_keeps_the_caps_and_reports_the_cash():
    w = pd.Series({"ETH": 0.3, "LINK": 0.3, "CRO": 0.3, "LDO": 0.1, "BCH": 1e-12, "CASH": 0.0})
    out, moved = apply_untradeable(w, _markets("ETH", "LINK", "LDO", "BCH"), "USDT", caps=WeightCaps(default=0.3))
    assert out.drop("CASH").max() <= 0.3 + 1e-12
    assert out["LDO"] == pytest.approx(0.3) and out["CASH"] == pytest.approx(0.1) and out.sum() == pytest.approx(1.0)
    (u,) = moved
    assert (u.asset, u.policy, u.to_cash) == ("CRO", "redistribute", pytest.approx(0.1))
    assert "up to the strategy's caps; 10.00% kept in cash" in u.note
    as_cash, (c,) = apply_untradeable(w, _markets("ETH", "LINK", "LDO", "BCH"), "USDT", "cash")
    assert as_cash["CASH"] == pytest.approx(0.3) and c.note.endswith("kept in cash")


def test_noise_weight_of_an_untradeable_asset_is_neither_reported_nor_refused():
    w = pd.Series({"ETH": 0.7, "CRO": 1.5e-10, "CASH": 0.3 - 1.5e-10})
    for policy in ("redistribute", "cash", "fail"):
        out, moved = apply_untradeable(w, _markets("ETH"), "USDT", policy)
        assert moved == () and out["CRO"] == 0.0 and out.sum() == pytest.approx(1.0)
    with pytest.raises(ExecutionError, match="no market to trade CRO"):
        apply_untradeable(pd.Series({"ETH": 0.7, "CRO": 0.01, "CASH": 0.29}), _markets("ETH"), "USDT", "fail")


def test_strategy_caps_come_from_the_strategy_file(reference):
    assert Strategy.from_yaml(STRATEGIES["ai_index"]).weight_caps(reference.assets).default == 0.3
    assert Strategy.from_yaml(STRATEGIES["top10_capped"]).weight_caps(reference.assets).default == 0.25
    s = Strategy.from_dict({
        "name": "caps", "universe": {"top_n": 10},
        "optimiser": {"objective": "min_variance", "constraints": {
            "max_weight": 0.2, "per_asset": {"BTC": {"max": 0.4}}, "theme_caps": {"defi": 0.3}}},
        "compliance": {"profile": {"jurisdiction": "DE"}, "rules": {"max_weight_per_kind": {"meme": 0.05}}},
    })
    caps = s.weight_caps(reference.assets)
    assert caps.cap("BTC") == 0.4 and caps.cap("ETH") == 0.2
    groups = {n: (m, c) for n, m, c in caps.groups}
    assert groups["theme defi"][1] == 0.3 and "AAVE" in groups["theme defi"][0]
    assert groups["kind meme"][1] == 0.05 and "DOGE" in groups["kind meme"][0]
    assert "20% per asset" in caps.describe() and "group theme defi 30%" in caps.describe()
