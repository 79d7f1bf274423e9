"""Freshness rules: which inputs a strategy reads, how old each may be, and what happens when one is stale.

Every input a strategy reads has a maximum tolerated age in days: the signal's
own declaration (:attr:`indexer.signals.Signal.max_age_days`, or
``max_age_days`` on the signal in the strategy file), else the strategy's
``freshness.max_age_days`` for its kind, else the defaults (prices 1, market
caps 2, Fear & Greed 3, on-chain 7, news 14).  An observation dated D (a UTC
daily bar, a day's index value, a day's texts) is complete at D+1 00:00 UTC;
its age at ``now`` is ``now - (D + 1 day)``.

Before deciding, :func:`check_freshness` looks at every input at ``now``.  A
stale (or never observed) input either **blocks** the decision (the default)
or follows the strategy's declared fallback:

* a signal with ``on_stale: drop`` is removed from the blend and the blend is
  renormalised (fixed weights are divided by the remaining weights; an ML
  blend is refitted without that feature);
* the ``regime_filter`` overlay with ``freshness: {on_stale: {regime_filter: drop}}``
  decides without its Fear & Greed condition (trend only).

:func:`decide` applies the fallbacks and records the report in the target's
diagnostics (``diagnostics["freshness"]``), so a fallback is never silent.

Strategy file::

    signals:
      signals:
        - {name: news_sentiment, weight: 0.5, on_stale: drop}
        - {name: nvt, weight: 0.25, on_stale: drop, max_age_days: 10}
    freshness:
      max_age_days: {prices: 1, fear_greed: 3}
      on_stale: {regime_filter: drop}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from indexer.data.live.needs import DEFAULT_MAX_AGE_DAYS, InputNeeds, input_kind, input_source
from indexer.data.market import to_utc
from indexer.exceptions import StaleDataError

if TYPE_CHECKING:  # pragma: no cover
    from indexer._typing import TargetPortfolio
    from indexer.data.market import MarketData
    from indexer.strategy.strategy import Strategy

__all__ = [
    "FreshnessSpec",
    "Requirement",
    "FreshnessReport",
    "StaleInputsError",
    "requirements",
    "input_needs",
    "last_observed",
    "check_freshness",
    "apply_fallbacks",
    "decide",
]

Kind = Literal["prices", "market_cap", "fear_greed", "onchain", "news"]


class FreshnessSpec(BaseModel):
    """The ``freshness:`` block of a strategy file (see module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_age_days: dict[Kind, float] = Field(default_factory=dict, description="age limit per input kind, days")
    on_stale: dict[str, Literal["block", "drop"]] = Field(
        default_factory=dict, description="per overlay name: block (default) or drop its stale condition")

    def age_limit(self, key: str) -> float:
        """Return the age limit of input ``key`` in days (configured, else the default of its kind)."""
        kind = input_kind(key)
        return float(self.max_age_days.get(kind, DEFAULT_MAX_AGE_DAYS.get(kind, 1.0)))  # type: ignore[call-overload]


class StaleInputsError(StaleDataError):
    """A required input is older than it may be; ``report`` holds every input's age and source."""

    def __init__(self, message: str, report: FreshnessReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class Requirement:
    """One use of an input: by whom (``signal mom_30d``, ``universe``, ``overlay regime_filter``), how old it may be, what if not."""

    key: str
    user: str
    max_age_days: float
    on_stale: str = "block"


def requirements(strategy: Strategy) -> list[Requirement]:
    """Every input the strategy reads, with its age limit and stale rule."""
    spec = strategy.spec
    fr: FreshnessSpec = getattr(spec, "freshness", None) or FreshnessSpec()
    out = [Requirement("close", "universe", fr.age_limit("close"))]
    u = spec.universe
    if u.min_median_volume_usd > 0 or u.rank_by == "volume":
        out.append(Requirement("volume", "universe", fr.age_limit("volume")))
    if (u.rank_by == "market_cap" and u.top_n is not None) or u.min_market_cap_usd > 0:
        out.append(Requirement("market_cap", "universe", fr.age_limit("market_cap")))
    if spec.optimiser.objective == "market_cap":
        out.append(Requirement("market_cap", "optimiser", fr.age_limit("market_cap")))
    if spec.signals is not None:
        for s in spec.signals.signals:
            sig = s.build()
            for key in sig.data_inputs():
                limit = getattr(s, "max_age_days", None) or sig.max_age_days.get(key) or fr.age_limit(key)
                out.append(Requirement(key, f"signal {s.label}", float(limit), getattr(s, "on_stale", "block")))
    for ov in spec.overlays:
        if ov.name == "regime_filter":
            if ov.market == "cap_weighted":
                out.append(Requirement("market_cap", "overlay regime_filter", fr.age_limit("market_cap")))
            if ov.use_sentiment:
                out.append(Requirement("fear_greed", "overlay regime_filter", fr.age_limit("fear_greed"),
                                       fr.on_stale.get("regime_filter", "block")))
    return out


def input_needs(strategy: Strategy, candidates: Sequence[str] | None = None) -> InputNeeds:
    """Return what a live refresh must bring up to date for ``strategy`` (assets: ``candidates`` + the universe's ``include``)."""
    keys = frozenset(r.key for r in requirements(strategy))
    assets = None
    if candidates is not None:
        assets = tuple(dict.fromkeys([*candidates, *strategy.spec.universe.include]))
    return InputNeeds(keys, assets)


def last_observed(data: MarketData, key: str) -> pd.Timestamp | None:
    """Return the newest UTC day with a value of input ``key`` in ``data`` (any asset), or ``None``.

    News counts live texts only (not the labelled history seeded from the reference data).
    """
    if key in ("close", "volume", "market_cap"):
        panel = getattr(data, key)
    elif key.startswith("metric:"):
        panel = data.metrics.get(key.split(":", 1)[1])
    elif key == "fear_greed":
        s = data.sentiment.index
        s = None if s is None else s.dropna()
        return None if s is None or s.empty else pd.Timestamp(s.index.max())
    elif key == "news":
        tx = data.sentiment.texts
        if tx is not None and "feed" in tx.columns:
            tx = tx[tx["feed"] != "seed:reference"]
        return None if tx is None or tx.empty else pd.Timestamp(tx["timestamp"].max())
    else:
        return None
    if panel is None:
        return None
    rows = panel.notna().any(axis=1)
    return pd.Timestamp(rows[rows].index[-1]) if rows.any() else None


def _origin(data: MarketData) -> str:
    prov = data.provenance or {}
    return str(prov.get("format") or ("reference" if "imported_at" in prov else "file"))


@dataclass
class FreshnessReport:
    """Age and source of every input at ``now``; what is blocked and which fallbacks apply."""

    now: pd.Timestamp
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)
    dropped_signals: dict[str, str] = field(default_factory=dict)
    overlay_fallbacks: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Nothing blocks the decision (fallbacks may apply)."""
        return not self.blocked

    @property
    def fallbacks(self) -> dict[str, str]:
        """Fallback applied per dropped signal and overlay."""
        return {**{f"signal {k}": v for k, v in self.dropped_signals.items()},
                **{f"overlay {k}": v for k, v in self.overlay_fallbacks.items()}}

    def message(self) -> str:
        """One line: what blocks, else the fallbacks used, else ``all N inputs fresh``."""
        if self.blocked:
            return "stale inputs block the decision: " + "; ".join(self.blocked)
        if self.fallbacks:
            return "fallbacks for stale inputs: " + "; ".join(f"{k}: {v}" for k, v in self.fallbacks.items())
        return f"all {len(self.inputs)} inputs fresh"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly form of the report."""
        return {"now": self.now.isoformat(), "ok": self.ok, "message": self.message(), "inputs": self.inputs,
                "blocked": list(self.blocked), "dropped_signals": dict(self.dropped_signals),
                "overlay_fallbacks": dict(self.overlay_fallbacks)}


def check_freshness(strategy: Strategy, data: MarketData, now: Any, *, as_of: Any = None) -> FreshnessReport:
    """Check every input of ``strategy`` in ``data.until(as_of)`` (default: its last bar) at ``now`` (UTC).

    Only what the decision may see counts (e.g. a Fear & Greed value dated
    after ``as_of`` does not make the index fresh); see the module docstring.

    Each input's entry: ``last`` (newest observed UTC day), ``age_days``,
    ``max_age_days`` (the strictest of its users), ``stale``, ``used_by``,
    ``source`` / ``url`` / ``fetched_at`` / ``refresh_error`` (from a live cache's provenance).
    """
    now = to_utc(now)
    data = data.until(as_of if as_of is not None else data.end)
    live = dict(data.provenance.get("live") or {}) if data.provenance else {}
    report = FreshnessReport(now)
    reqs = requirements(strategy)
    for key in dict.fromkeys(r.key for r in reqs):
        mine = [r for r in reqs if r.key == key]
        last = last_observed(data, key)
        age = None if last is None else max(0.0, (now - (last + pd.Timedelta(days=1))) / pd.Timedelta(days=1))
        src = input_source(key)
        prov = live.get(src or "", {})
        limit = min(r.max_age_days for r in mine)
        report.inputs[key] = {
            "kind": input_kind(key), "last": None if last is None else str(last.date()),
            "age_days": None if age is None else round(age, 3), "max_age_days": limit,
            "stale": age is None or age > limit, "used_by": [r.user for r in mine],
            "source": src if live else _origin(data),
            "url": prov.get("url"), "fetched_at": prov.get("fetched_at"), "refresh_error": prov.get("error"),
        }
        stale_users = [r for r in mine if age is None or age > r.max_age_days]
        if not stale_users:
            continue
        why = (f"{key} never observed" if last is None else
               f"{key} last {last.date()}, {age:.2f} days old > {min(r.max_age_days for r in stale_users):g}")
        if prov.get("error"):
            why += f" (refresh failed: {str(prov['error'])[:160]})"
        elif src is None and key.startswith("metric:"):
            why += " (no live source for this metric)"
        blockers = []
        for r in stale_users:
            if r.on_stale == "drop" and r.user.startswith("signal "):
                report.dropped_signals[r.user.split(" ", 1)[1]] = f"dropped, blend renormalised: {why}"
            elif r.on_stale == "drop" and r.user == "overlay regime_filter":
                report.overlay_fallbacks["regime_filter"] = f"Fear & Greed condition ignored (trend only): {why}"
            else:
                blockers.append(r.user)
        if blockers:
            report.blocked.append(f"{why}; needed by {', '.join(dict.fromkeys(blockers))}")
    spec = strategy.spec
    if spec.signals is not None and report.dropped_signals and len(report.dropped_signals) == len(spec.signals.signals):
        report.blocked.append("every signal would be dropped: " + "; ".join(report.dropped_signals.values()))
    return report


def apply_fallbacks(strategy: Strategy, report: FreshnessReport | Mapping[str, Any]) -> Strategy:
    """Return the strategy with the report's fallbacks applied (the same object when there are none).

    ``report`` may also be a recorded one (``target.diagnostics["freshness"]``, a dict), so research
    can replay exactly what a bot run decided with.
    """
    if isinstance(report, FreshnessReport):
        dropped, overlays = report.dropped_signals, report.overlay_fallbacks
    else:
        dropped, overlays = dict(report.get("dropped_signals") or {}), dict(report.get("overlay_fallbacks") or {})
    if not dropped and not overlays:
        return strategy
    from indexer.strategy.strategy import Strategy

    spec = strategy.spec
    upd: dict[str, Any] = {}
    if dropped and spec.signals is not None:
        kept = [s for s in spec.signals.signals if s.label not in dropped]
        upd["signals"] = spec.signals.model_copy(update={"signals": kept})
    if "regime_filter" in overlays:
        upd["overlays"] = [o.model_copy(update={"use_sentiment": False}) if o.name == "regime_filter" else o
                           for o in spec.overlays]
    return Strategy(spec.model_copy(update=upd), strategy.source)


def decide(strategy: Strategy, data: MarketData, as_of: Any, *, now: Any,
           previous: pd.Series | None = None, report: FreshnessReport | None = None) -> TargetPortfolio:
    """``strategy.target`` after the freshness check, fallbacks applied and recorded in ``diagnostics["freshness"]``.

    Raises
    ------
    StaleInputsError
        A stale input whose rule is ``block`` (message names the input, its age, limit and user).
    """
    from dataclasses import replace

    report = report if report is not None else check_freshness(strategy, data, now, as_of=as_of)
    if not report.ok:
        raise StaleInputsError(f"strategy {strategy.name}: {report.message()}", report)
    target = apply_fallbacks(strategy, report).target(data, as_of, previous=previous)
    diag = dict(target.diagnostics)
    diag["freshness"] = report.to_dict()
    return replace(target, diagnostics=diag)
