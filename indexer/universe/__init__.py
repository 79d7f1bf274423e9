"""Universe selection and compliance: which assets a strategy may hold (pure, no I/O)."""

from __future__ import annotations

from indexer.universe.compliance import (
    COMPLIANCE_RULES,
    ComplianceRules,
    ComplianceSpec,
    InvestorProfile,
    JurisdictionBan,
    Violation,
    cap_kind_weights,
    check_weights,
    enforce_weights,
    screen_assets,
)
from indexer.universe.select import UniverseResult, latest_cap_values, latest_market_cap, median_volume, select_universe
from indexer.universe.spec import KNOWN_THEMES, BufferSpec, UniverseSpec

__all__ = [
    "UniverseSpec",
    "BufferSpec",
    "KNOWN_THEMES",
    "UniverseResult",
    "select_universe",
    "latest_market_cap",
    "latest_cap_values",
    "median_volume",
    "COMPLIANCE_RULES",
    "InvestorProfile",
    "JurisdictionBan",
    "ComplianceRules",
    "ComplianceSpec",
    "Violation",
    "screen_assets",
    "check_weights",
    "enforce_weights",
    "cap_kind_weights",
]
