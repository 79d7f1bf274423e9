"""docs/strategies.md documents every field of the strategy schema and every shipped file."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.strategy import OVERLAYS, RebalanceSpec, StrategySpec
from indexer.universe import BufferSpec, ComplianceRules, InvestorProfile, UniverseSpec

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "strategies.md").read_text()


@pytest.mark.parametrize(
    "model", [StrategySpec, UniverseSpec, BufferSpec, RebalanceSpec, InvestorProfile, ComplianceRules, *OVERLAYS.values()]
)
def test_every_field_is_documented(model) -> None:
    missing = [f for f in model.model_fields if f"`{f}`" not in DOC and f"`profile.{f}`" not in DOC
               and f"`rules.{f}`" not in DOC and f"{{{f}:" not in DOC and f"`{f}`," not in DOC]
    assert missing == [], f"{model.__name__}: undocumented fields {missing}"


def test_every_shipped_strategy_is_listed() -> None:
    missing = [p.name for p in (REPO / "strategies").glob("*.yaml") if f"`{p.name}`" not in DOC]
    assert missing == []
