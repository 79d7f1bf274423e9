"""Compliance: investor profile + rules at universe selection, kind caps, and the pre-trade check."""

from __future__ import annotations

import pandas as pd
import pytest

from indexer import CASH
from indexer.exceptions import ComplianceError
from indexer.strategy import Strategy
from indexer.universe import (
    ComplianceRules,
    ComplianceSpec,
    InvestorProfile,
    UniverseSpec,
    cap_kind_weights,
    check_weights,
    enforce_weights,
    select_universe,
)

CAPS = {"BTC": 9e11, "TSLAX": 5e11, "ONDO": 3e11, "ETH": 2e11, "DOGE": 1e11, "SHIB": 5e10, "XMR": 4e10}
KINDS = {"TSLAX": "security-token", "ONDO": "rwa", "DOGE": "meme", "SHIB": "meme", "XMR": "privacy"}


@pytest.fixture
def data(make_data):
    return make_data(CAPS, kinds=KINDS)


RULES = ComplianceRules(
    restricted=["xmr"],
    jurisdiction_bans={"us": {"symbols": ["SHIB"]}, "CN": {"kinds": ["meme"]}},
    max_weight_per_kind={"meme": 0.05},
)


def test_retail_profile_is_screened_at_universe_selection(data) -> None:
    spec = ComplianceSpec(profile=InvestorProfile(jurisdiction="US", accredited=False, kyc_done=False), rules=RULES)
    res = select_universe(data, UniverseSpec(), compliance=spec)
    assert res.assets == ["BTC", "ETH", "DOGE"]
    rules = {e["asset"]: e["rule"] for e in res.log}
    assert rules == {"TSLAX": "accredited_only", "ONDO": "kyc_required", "SHIB": "jurisdiction_ban", "XMR": "restricted"}


def test_accredited_kyc_profile_may_hold_security_tokens(data) -> None:
    spec = ComplianceSpec(profile=InvestorProfile(jurisdiction="CH", accredited=True, kyc_done=True), rules=RULES)
    assert select_universe(data, UniverseSpec(), compliance=spec).assets == ["BTC", "TSLAX", "ONDO", "ETH", "DOGE", "SHIB"]
    cn = ComplianceSpec(profile=InvestorProfile(jurisdiction="cn", accredited=True, kyc_done=True), rules=RULES)
    assert select_universe(data, UniverseSpec(), compliance=cn).assets == ["BTC", "TSLAX", "ONDO", "ETH"]


def test_include_list_cannot_bypass_compliance(data) -> None:
    spec = ComplianceSpec(profile=InvestorProfile(jurisdiction="US"), rules=RULES)
    res = select_universe(data, UniverseSpec(top_n=1, include=["TSLAX"]), compliance=spec)
    assert res.assets == ["BTC"]
    assert any(e["asset"] == "TSLAX" and e["rule"] == "accredited_only" for e in res.log)


def test_check_weights_names_rule_and_asset(data) -> None:
    reg = data.assets
    profile = InvestorProfile(jurisdiction="US")
    w = pd.Series({"BTC": 0.5, "TSLAX": 0.2, "DOGE": 0.1, "SHIB": 0.1, "ETH": 0.1, "ONDO": 0.0, CASH: 0.0})
    bad = check_weights(w, profile, RULES, reg)
    got = {(v.rule, v.asset) for v in bad}
    assert got == {("accredited_only", "TSLAX"), ("jurisdiction_ban", "SHIB"), ("max_weight_per_kind", "kind:meme")}
    with pytest.raises(ComplianceError, match=r"rule 'accredited_only' forbids TSLAX"):
        enforce_weights(w, profile, RULES, reg)
    enforce_weights(pd.Series({"BTC": 0.9, CASH: 0.1}), profile, RULES, reg)  # clean: no error


def test_cap_kind_weights_moves_excess_to_cash(data) -> None:
    w = pd.Series({"BTC": 0.7, "DOGE": 0.2, "SHIB": 0.1, CASH: 0.0})
    out, log = cap_kind_weights(w, RULES, data.assets)
    assert out["DOGE"] + out["SHIB"] == pytest.approx(0.05)
    assert out["DOGE"] / out["SHIB"] == pytest.approx(2.0)
    assert out[CASH] == pytest.approx(0.25)
    assert out.sum() == pytest.approx(1.0)
    assert log[0]["rule"] == "max_weight_per_kind" and log[0]["asset"] == "kind:meme"


def test_profile_forbidding_security_tokens_never_holds_one(data) -> None:
    """Across many decision dates and a weighting that would love the security token, it is never held."""
    doc = {
        "name": "retail",
        "universe": {"top_n": 5},
        "optimiser": {"objective": "market_cap", "params": {"max_weight": 0.4}},
        "compliance": {
            "profile": {"jurisdiction": "DE", "accredited": False, "kyc_done": True},
            "rules": {"accredited_only_kinds": ["security-token"], "max_weight_per_kind": {"meme": 0.05}},
        },
    }
    s = Strategy.from_dict(doc)
    reg = data.assets
    held_any = set()
    for t in data.index[::10]:
        tp = s.target(data, t)
        held = set(tp.invested[tp.invested > 0].index)
        held_any |= held
        assert not {a for a in held if reg.kind(a) == "security-token"}
        assert check_weights(tp.weights, s.spec.compliance.profile, s.spec.compliance.rules, reg) == []
    assert "ONDO" in held_any  # rwa allowed with KYC
    assert any(e["rule"] == "accredited_only" and e["asset"] == "TSLAX" for e in tp.diagnostics["compliance_log"])
    assert any(e["rule"] == "max_weight_per_kind" for e in tp.diagnostics["compliance_log"])
    # the same strategy for an accredited investor does hold it
    doc["compliance"]["profile"]["accredited"] = True
    tp2 = Strategy.from_dict(doc).target(data, data.end)
    assert tp2.weights["TSLAX"] > 0


def test_rules_validation_names_allowed_kinds() -> None:
    with pytest.raises(ValueError, match="unknown kind.*security-token"):
        ComplianceRules(accredited_only_kinds=["securities"])


def test_universe_and_compliance_read_kinds_alike() -> None:
    from indexer.universe import UniverseSpec

    # one kind check: case-folded, unknown kinds named with the allowed list, in both places
    assert UniverseSpec(exclude_kinds=["Stablecoin"]).exclude_kinds == ["stablecoin"]
    assert ComplianceRules(accredited_only_kinds=["Security-Token"]).accredited_only_kinds == ["security-token"]
    with pytest.raises(ValueError, match=r"unknown kind\(s\) \['stable'\]; allowed: .*stablecoin"):
        UniverseSpec(exclude_kinds=["stable"])


def test_strategy_check_compliance_for_pre_trade(data) -> None:
    doc = {"name": "p", "compliance": {"profile": {"jurisdiction": "US"}, "rules": {"restricted": ["BTC"]}}}
    s = Strategy.from_dict(doc)
    bad = s.check_compliance(pd.Series({"BTC": 0.5, "TSLAX": 0.5, CASH: 0.0}), data.assets)
    assert {(v.rule, v.asset) for v in bad} == {("restricted", "BTC"), ("accredited_only", "TSLAX")}
    assert Strategy.from_dict({"name": "q"}).check_compliance(pd.Series({"BTC": 1.0})) == []


def test_optimiser_failure_names_strategy_and_date(make_data) -> None:
    from indexer.exceptions import OptimisationError

    data = make_data({"A": 3e9, "B": 2e9, "C": 1e9})
    s = Strategy.from_dict({"name": "tight", "optimiser": {"objective": "market_cap", "params": {"max_weight": 0.25}}})
    with pytest.raises(OptimisationError, match=r"strategy tight at 2022-07-19.*cap infeasible"):
        s.target(data, data.end)
    ok = Strategy.from_dict({"name": "loose", "optimiser": {"objective": "market_cap", "params": {"max_weight": 0.25},
                                                              "constraints": {"cash_max": 1.0}}})
    assert ok.target(data, data.end).cash == pytest.approx(0.25)
