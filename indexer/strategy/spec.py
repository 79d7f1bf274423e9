"""``StrategySpec``: the pydantic schema of a strategy file (unknown fields forbidden everywhere).

Example (YAML)::

    name: top10_capped
    description: 10 largest non-stablecoins, cap weights capped at 25%.
    universe: {top_n: 10, min_history_days: 90, exclude_kinds: [stablecoin]}
    optimiser: {objective: market_cap, params: {max_weight: 0.25}}
    rebalance: {every: monthly}

See ``docs/strategies.md`` for every field and its allowed values.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from indexer.optimiser import OptimiserSpec
from indexer.signals import ScoringSpec
from indexer.strategy.errors import register_tags
from indexer.strategy.freshness import FreshnessSpec
from indexer.strategy.overlays import OVERLAYS, OverlaySpec
from indexer.universe import ComplianceSpec, UniverseSpec

__all__ = ["StrategySpec", "RebalanceSpec", "WEEKDAYS", "SCORE_OBJECTIVES"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Optimiser objectives that read expected returns from the signals' scores.
SCORE_OBJECTIVES = ("mean_variance", "max_sharpe")

register_tags(OVERLAYS)


class RebalanceSpec(BaseModel):
    """When to decide.

    Attributes
    ----------
    every
        ``daily``, ``weekly`` (on ``weekday``), ``monthly`` or ``quarterly``
        (the first bar of each calendar month / quarter).
    weekday
        For ``weekly``: 0-6 or ``mon``..``sun`` (UTC day of the bar).
    drift_abs
        Also rebalance between scheduled dates when a weight drifts more than
        this many fractions from its target (e.g. 0.05); applied by the backtest.
    drift_rel
        Likewise, relative to the target weight (e.g. 0.25 = 25% of it).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: Literal["daily", "weekly", "monthly", "quarterly"] = "monthly"
    weekday: int = Field(0, ge=0, le=6)
    drift_abs: float | None = Field(None, gt=0.0, le=1.0)
    drift_rel: float | None = Field(None, gt=0.0)

    @field_validator("weekday", mode="before")
    @classmethod
    def _weekday(cls, v: object) -> object:
        if isinstance(v, str):
            key = v.strip().lower()[:3]
            if key not in WEEKDAYS:
                raise ValueError(f"weekday {v!r} not one of {', '.join(WEEKDAYS)} or 0-6")
            return WEEKDAYS.index(key)
        return v


class StrategySpec(BaseModel):
    """A whole strategy file.

    Attributes
    ----------
    name, description
        Identifier (letters, digits, ``_-.``) and free text (methodology, deviations).
    universe
        :class:`~indexer.universe.UniverseSpec`.
    signals
        :class:`~indexer.signals.ScoringSpec` or ``None`` (no scores).
    optimiser
        :class:`~indexer.optimiser.OptimiserSpec`.
    rebalance
        :class:`RebalanceSpec`.
    overlays
        Ordered list of overlays (``regime_filter``, ``vol_target``, ``drawdown_guard``).
    compliance
        :class:`~indexer.universe.ComplianceSpec` (investor profile and rules) or ``None``.
    estimation_window
        Bars of daily returns given to the optimiser (risk model window).
    freshness
        :class:`~indexer.strategy.freshness.FreshnessSpec`: input age limits per kind and the
        overlays' stale-input rules (signals carry their own ``max_age_days`` / ``on_stale``).
    empty_universe
        ``error`` (default): a decision whose universe is empty is an error naming
        the date and why; ``cash``: hold 100% CASH then (the backtest lists every
        such decision).

    The goal-based target-return mode is the optimiser's own objective:
    ``optimiser: {objective: target_return, params: {required_return: 0.4}}``
    (expected returns: the signals' scores, else the window's mean daily
    return x365).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$", min_length=1, max_length=80)
    description: str = ""
    universe: UniverseSpec = Field(default_factory=UniverseSpec)
    signals: ScoringSpec | None = None
    optimiser: OptimiserSpec = Field(default_factory=OptimiserSpec)
    rebalance: RebalanceSpec = Field(default_factory=RebalanceSpec)
    overlays: list[OverlaySpec] = Field(default_factory=list)
    compliance: ComplianceSpec | None = None
    estimation_window: int = Field(180, ge=2, le=3650)
    freshness: FreshnessSpec = Field(default_factory=FreshnessSpec)
    empty_universe: Literal["error", "cash"] = "error"

    @model_validator(mode="before")
    @classmethod
    def _no_target_return_block(cls, data: Any) -> Any:
        if isinstance(data, dict) and "target_return" in data:
            tr = data["target_return"]
            req = tr.get("required_return", 0.4) if isinstance(tr, dict) else 0.4
            raise ValueError(
                "the top-level target_return: block was replaced by the optimiser's own objective: "
                f"write optimiser: {{objective: target_return, params: {{required_return: {req}}}}} "
                "(expected returns come from the signals' scores, else the window's historical mean)"
            )
        return data

    @model_validator(mode="after")
    def _coherent(self) -> StrategySpec:
        if self.optimiser.objective in SCORE_OBJECTIVES and self.signals is None:
            raise ValueError(
                f"optimiser.objective {self.optimiser.objective!r} reads expected returns from scores: "
                "add a signals: block (or use market_cap, equal_weight, inverse_volatility, min_variance, ...)"
            )
        names = {o.name for o in self.overlays}
        for key in self.freshness.on_stale:
            if key != "regime_filter" or key not in names:
                raise ValueError(f"freshness.on_stale: {key!r} is not an overlay of this strategy with a stale-input "
                                 f"fallback; allowed: {', '.join(sorted(names & {'regime_filter'})) or 'none'}")
        return self
