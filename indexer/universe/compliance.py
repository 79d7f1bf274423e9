"""Compliance: an investor profile and rules, enforced at universe selection and pre-trade.

Pure functions, no I/O.  The strategy screens its universe with :func:`screen_assets`
and caps kinds with :func:`cap_kind_weights`; execution calls :func:`check_weights`
(or :func:`enforce_weights`, which raises :class:`~indexer.exceptions.ComplianceError`)
on every target before it places an order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from indexer._typing import CASH
from indexer.data.registry import AssetRegistry
from indexer.exceptions import ComplianceError
from indexer.universe.spec import check_kinds

__all__ = [
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

_TOL = 1e-9
#: Names of the rules, as they appear in violations and log entries.
COMPLIANCE_RULES = ("restricted", "accredited_only", "kyc_required", "jurisdiction_ban", "max_weight_per_kind")


class InvestorProfile(BaseModel):
    """Who invests: ``jurisdiction`` (ISO 3166 alpha-2, e.g. ``US``), ``accredited``, ``kyc_done``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    jurisdiction: str = Field(default="ZZ", min_length=2, max_length=3)
    accredited: bool = False
    kyc_done: bool = False

    @field_validator("jurisdiction")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()


class JurisdictionBan(BaseModel):
    """What investors of one jurisdiction may not hold: asset ``kinds`` and/or ``symbols``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: list[str] = Field(default_factory=list)
    symbols: list[str] = Field(default_factory=list)

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, v: list[str]) -> list[str]:
        return check_kinds(v)

    @field_validator("symbols")
    @classmethod
    def _syms(cls, v: list[str]) -> list[str]:
        return [s.upper() for s in v]


class ComplianceRules(BaseModel):
    """Rules every portfolio must keep.

    Attributes
    ----------
    restricted
        Symbols nobody may hold (sanctions, delistings, house restrictions).
    accredited_only_kinds, accredited_only
        Kinds / symbols only accredited investors may hold (default: security tokens).
    kyc_required_kinds
        Kinds that need ``kyc_done`` (default: security tokens and tokenised real-world assets).
    jurisdiction_bans
        ``{jurisdiction: {kinds: [...], symbols: [...]}}``.
    max_weight_per_kind
        ``{kind: fraction}``: the summed weight of a kind may not exceed it (excess goes to CASH).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    restricted: list[str] = Field(default_factory=list)
    accredited_only_kinds: list[str] = Field(default_factory=lambda: ["security-token"])
    accredited_only: list[str] = Field(default_factory=list)
    kyc_required_kinds: list[str] = Field(default_factory=lambda: ["security-token", "rwa"])
    jurisdiction_bans: dict[str, JurisdictionBan] = Field(default_factory=dict)
    max_weight_per_kind: dict[str, float] = Field(default_factory=dict)

    @field_validator("accredited_only_kinds", "kyc_required_kinds")
    @classmethod
    def _kinds(cls, v: list[str]) -> list[str]:
        return check_kinds(v)

    @field_validator("restricted", "accredited_only")
    @classmethod
    def _syms(cls, v: list[str]) -> list[str]:
        return [s.upper() for s in v]

    @field_validator("jurisdiction_bans")
    @classmethod
    def _juris(cls, v: dict[str, JurisdictionBan]) -> dict[str, JurisdictionBan]:
        return {k.upper(): ban for k, ban in v.items()}

    @field_validator("max_weight_per_kind")
    @classmethod
    def _caps(cls, v: dict[str, float]) -> dict[str, float]:
        check_kinds(v)
        bad = {k: x for k, x in v.items() if not 0.0 <= x <= 1.0}
        if bad:
            raise ValueError(f"weights must be fractions in [0, 1]; got {bad}")
        return {k.lower(): float(x) for k, x in v.items()}


class ComplianceSpec(BaseModel):
    """The ``compliance:`` block of a strategy file: ``profile`` and ``rules``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: InvestorProfile = Field(default_factory=InvestorProfile)
    rules: ComplianceRules = Field(default_factory=ComplianceRules)


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``rule`` name, ``asset`` (symbol or ``kind:<kind>``), ``weight`` held, ``detail``."""

    rule: str
    asset: str
    weight: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a dict."""
        return asdict(self)

    def __str__(self) -> str:
        """Describe the violation in one line."""
        return f"rule {self.rule!r} forbids {self.asset} (weight {self.weight:.4f}): {self.detail}"


def _asset_rule(symbol: str, profile: InvestorProfile, rules: ComplianceRules, registry: AssetRegistry) -> tuple[str, str] | None:
    """Return the first rule that forbids ``profile`` from holding ``symbol`` at all, as (rule, detail)."""
    kind = registry.kind(symbol)
    if symbol in rules.restricted:
        return "restricted", f"{symbol} is on the restricted list"
    if not profile.accredited and (symbol in rules.accredited_only or kind in rules.accredited_only_kinds):
        return "accredited_only", f"{symbol} (kind {kind}) is for accredited investors only; profile is not accredited"
    if not profile.kyc_done and kind in rules.kyc_required_kinds:
        return "kyc_required", f"{symbol} (kind {kind}) needs KYC; profile has kyc_done=false"
    ban = rules.jurisdiction_bans.get(profile.jurisdiction)
    if ban is not None and (symbol in ban.symbols or kind in ban.kinds):
        return "jurisdiction_ban", f"{symbol} (kind {kind}) is banned in {profile.jurisdiction}"
    return None


def screen_assets(
    assets: Iterable[str], profile: InvestorProfile, rules: ComplianceRules, registry: AssetRegistry
) -> tuple[list[str], list[dict[str, Any]]]:
    """Split candidate ``assets`` into those ``profile`` may hold and a log of the excluded.

    Returns
    -------
    allowed, log
        Allowed symbols (input order) and one ``{stage, rule, asset, action, detail}`` entry per exclusion.
    """
    allowed: list[str] = []
    log: list[dict[str, Any]] = []
    for s in assets:
        hit = _asset_rule(s, profile, rules, registry)
        if hit is None:
            allowed.append(s)
        else:
            log.append({"stage": "universe", "rule": hit[0], "asset": s, "action": "excluded", "detail": hit[1]})
    return allowed, log


def _kind_totals(weights: pd.Series, registry: AssetRegistry) -> pd.Series:
    w = weights.drop(CASH, errors="ignore")
    kinds = pd.Series({s: registry.kind(s) for s in w.index}, dtype=object)
    return w.groupby(kinds).sum() if len(w) else pd.Series(dtype=float)


def check_weights(
    weights: pd.Series | Mapping[str, float],
    profile: InvestorProfile,
    rules: ComplianceRules,
    registry: AssetRegistry,
) -> list[Violation]:
    """Every rule the target ``weights`` (fractions, incl. CASH) break for ``profile``.

    Zero weights are ignored; the CASH line is never a violation.
    """
    w = pd.Series(weights, dtype="float64")
    held = w[(w > _TOL) & (w.index != CASH)]
    out: list[Violation] = []
    for s, x in held.items():
        hit = _asset_rule(str(s), profile, rules, registry)
        if hit is not None:
            out.append(Violation(hit[0], str(s), float(x), hit[1]))
    totals = _kind_totals(held, registry)
    for kind, cap in rules.max_weight_per_kind.items():
        tot = float(totals.get(kind, 0.0))
        if tot > cap + 1e-6:
            out.append(
                Violation("max_weight_per_kind", f"kind:{kind}", tot, f"kind {kind} holds {tot:.4f} > cap {cap:.4f}")
            )
    return out


def enforce_weights(
    weights: pd.Series | Mapping[str, float],
    profile: InvestorProfile,
    rules: ComplianceRules,
    registry: AssetRegistry,
) -> None:
    """Raise :class:`ComplianceError` naming each broken rule and asset; return quietly when clean."""
    bad = check_weights(weights, profile, rules, registry)
    if bad:
        raise ComplianceError("; ".join(str(v) for v in bad))


def cap_kind_weights(
    weights: pd.Series, rules: ComplianceRules, registry: AssetRegistry
) -> tuple[pd.Series, list[dict[str, Any]]]:
    """Scale down every kind above its ``max_weight_per_kind`` cap; the excess goes to CASH.

    Assets within a capped kind keep their relative weights.  Returns the new
    weights (incl. CASH) and one log entry per capped kind.
    """
    w = pd.Series(weights, dtype="float64").copy()
    if CASH not in w.index:
        w[CASH] = 0.0
    log: list[dict[str, Any]] = []
    if not rules.max_weight_per_kind:
        return w, log
    totals = _kind_totals(w, registry)
    for kind, cap in rules.max_weight_per_kind.items():
        tot = float(totals.get(kind, 0.0))
        if tot <= cap + _TOL:
            continue
        members = [s for s in w.index if s != CASH and registry.kind(s) == kind]
        scale = cap / tot
        freed = float(w[members].sum()) * (1.0 - scale)
        w[members] = w[members] * scale
        w[CASH] += freed
        log.append(
            {
                "stage": "weights",
                "rule": "max_weight_per_kind",
                "asset": f"kind:{kind}",
                "action": "capped",
                "detail": f"kind {kind} held {tot:.4f} > cap {cap:.4f}; {freed:.4f} moved to {CASH}",
            }
        )
    return w, log
