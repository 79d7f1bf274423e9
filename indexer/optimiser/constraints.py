"""Constraints, each defined once: its settings, when it is on, how it reads, and its data.

A :class:`Constraint` turns the problem's numbers into
:class:`~indexer.optimiser.terms.Terms` (bounds and linear rows); the DAQP,
Clarabel and cvxpy back ends compile that one definition.  Adding a
constraint means adding its setting to :class:`ConstraintsSpec` and one
:class:`Constraint` to :data:`CONSTRAINTS`, both here.

Users add constraints without touching this module:

* ``linear``: rows ``min <= sum(coefficient x weight) <= max`` by asset or by
  registry group (:class:`~indexer.optimiser.user_constraints.LinearConstraint`); data, so every back end uses them;
* ``custom``: callables ``fn(w, ctx) -> cvxpy constraint(s)`` (or their dotted
  paths in a strategy file) receiving the cvxpy weight variable and the
  :class:`~indexer.optimiser.cvxpy_problem.ProblemContext`; solved by cvxpy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from indexer._typing import CASH
from indexer.exceptions import OptimisationError
from indexer.optimiser.terms import Rows, Terms
from indexer.optimiser.user_constraints import (
    CustomConstraint,
    LinearConstraint,
    dotted_name,
    linear_from_matrix,
    resolve_custom,
)

if TYPE_CHECKING:  # pragma: no cover
    from indexer.optimiser.cvxpy_problem import ProblemContext
    from indexer.optimiser.inputs import Inputs

__all__ = [
    "AssetBounds",
    "LinearConstraint",
    "ConstraintsSpec",
    "Constraint",
    "CONSTRAINTS",
    "ALWAYS",
    "groups_for",
    "describe",
    "custom_callables",
]

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AssetBounds(_Strict):
    """Per-asset minimum and maximum weight (fractions)."""

    min: float = Field(0.0, ge=0, le=1)
    max: float = Field(1.0, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> AssetBounds:
        if self.min > self.max:
            raise ValueError(f"min {self.min} > max {self.max}")
        return self


class ConstraintsSpec(_Strict):
    """Constraints on the weights (all fractions of portfolio value).

    Weights are always long-only and sum to 1 including the explicit CASH line.

    Attributes
    ----------
    min_weight, max_weight
        Bounds for every asset (``per_asset`` overrides them by symbol).
    theme_caps
        Maximum total weight per registry theme or kind, e.g. ``{defi: 0.3}``.
    turnover
        Maximum L1 distance to the previous weights (incl. CASH), e.g. 0.5;
        not applied when nothing but CASH was held before (first allocation).
    liquidity
        ``k``: weight x portfolio_value <= k x average daily USD volume.
    cash_min, cash_max
        Bounds of the CASH line (default 0: fully invested).
    stablecoin_min, stablecoin_max
        Bounds of CASH plus registry stablecoins together.
    linear
        User rows ``min <= sum(coefficient x weight) <= max`` by asset or group
        (:class:`LinearConstraint`); in Python also ``(A, b)`` for ``A w <= b``.
    custom
        User callables ``fn(w, ctx) -> cvxpy constraint(s)``, or dotted paths to them.
    max_holdings
        Two-stage: solve, keep the largest ``max_holdings`` assets, re-solve.
    dust
        Weights below it are set to 0 and the optimisation is re-solved
        without those assets (see docs/optimiser.md).
    """

    min_weight: float = Field(0.0, ge=0, le=1)
    max_weight: float | None = Field(None, gt=0, le=1)
    per_asset: dict[str, AssetBounds] = Field(default_factory=dict)
    theme_caps: dict[str, float] = Field(default_factory=dict)
    turnover: float | None = Field(None, ge=0, le=2)
    liquidity: float | None = Field(None, gt=0)
    cash_min: float = Field(0.0, ge=0, le=1)
    cash_max: float = Field(0.0, ge=0, le=1)
    stablecoin_min: float | None = Field(None, ge=0, le=1)
    stablecoin_max: float | None = Field(None, ge=0, le=1)
    linear: list[LinearConstraint] = Field(default_factory=list)
    custom: list[str | Callable[..., Any]] = Field(default_factory=list)
    max_holdings: int | None = Field(None, ge=1)
    dust: float = Field(0.0, ge=0, lt=1)

    @field_validator("theme_caps")
    @classmethod
    def _caps_fractions(cls, v: dict[str, float]) -> dict[str, float]:
        from indexer.data.registry import allowed_themes

        for theme, cap in v.items():
            if not 0 <= cap <= 1:
                raise ValueError(f"theme cap {theme!r} must be a fraction in [0, 1], got {cap}")
        if v:  # a misspelt theme would cap nothing, silently
            allowed = allowed_themes()
            bad = sorted(k for k in v if k.lower() not in allowed)
            if bad:
                import difflib

                near = difflib.get_close_matches(bad[0].lower(), sorted(allowed), n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise ValueError(f"unknown theme(s) {bad} in theme_caps{hint}; allowed: {', '.join(sorted(allowed))}")
        return {k.lower(): float(c) for k, c in v.items()}

    @field_validator("linear", mode="before")
    @classmethod
    def _linear_matrix(cls, v: Any) -> Any:
        return linear_from_matrix(v)

    @field_validator("custom", mode="before")
    @classmethod
    def _custom_list(cls, v: Any) -> Any:
        return [v] if callable(v) or isinstance(v, str) else v

    @field_validator("custom")
    @classmethod
    def _importable(cls, v: list[Any]) -> list[Any]:
        for i, entry in enumerate(v):
            try:
                resolve_custom(entry)
            except ValueError as exc:
                raise ValueError(f"custom[{i}]: {exc}") from None
        return v

    @field_serializer("custom", when_used="json")
    def _custom_paths(self, v: list[Any]) -> list[str]:
        return [dotted_name(f) for f in v]

    @model_validator(mode="after")
    def _ordered(self) -> ConstraintsSpec:
        if self.max_weight is not None and self.min_weight > self.max_weight:
            raise ValueError(f"min_weight {self.min_weight} > max_weight {self.max_weight}")
        if self.cash_min > self.cash_max:
            raise ValueError(f"cash_min {self.cash_min} > cash_max {self.cash_max}")
        lo, hi = self.stablecoin_min, self.stablecoin_max
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"stablecoin_min {lo} > stablecoin_max {hi}")
        return self

    def active(self) -> list[str]:
        """Return the settings that are switched on (differ from their defaults), by field name."""
        return [name for name, default in _setting_defaults().items() if getattr(self, name) != default]


@lru_cache(maxsize=1)
def _setting_defaults() -> dict[str, Any]:
    """Default of every constraint setting (``max_holdings`` and ``dust`` are stages, not constraints)."""
    return {name: f.get_default(call_default_factory=True) for name, f in ConstraintsSpec.model_fields.items()
            if name not in ("max_holdings", "dust")}


# -- definitions -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Constraint:
    """One constraint group.

    Attributes
    ----------
    name
        Group name (diagnostics ``constraints``, blame messages).
    settings
        :class:`ConstraintsSpec` fields that switch it on (none: always on).
    describe
        ``describe(c) -> str``: the group and its settings, for messages.
    terms
        ``terms(inputs) -> Terms``: bounds / rows (every back end).
    conic
        ``conic(w, ctx) -> list of cvxpy constraints`` (cvxpy only).
    needs_holdings
        Only applied when something besides CASH was held before.
    """

    name: str
    settings: tuple[str, ...]
    describe: Callable[[ConstraintsSpec], str]
    terms: Callable[[Inputs], Terms] | None = None
    conic: Callable[[Any, ProblemContext], list[Any]] | None = None
    needs_holdings: bool = False


def _cash(i: Inputs) -> Terms:
    c = i.spec.constraints
    return Terms(cash_lower=c.cash_min, cash_upper=c.cash_max)


def _per_asset(i: Inputs, default: float, which: str) -> np.ndarray:
    c = i.spec.constraints
    out = np.full(i.n, default)
    for k, a in enumerate(i.ctx.assets):
        if a in c.per_asset:
            out[k] = getattr(c.per_asset[a], which)
    return out


def _bounds(i: Inputs) -> Terms:
    c = i.spec.constraints
    return Terms(lower=_per_asset(i, c.min_weight, "min"),
                 upper=_per_asset(i, 1.0 if c.max_weight is None else c.max_weight, "max"))


def _theme_caps(i: Inputs) -> Terms:
    reg = i.ctx.registry
    if reg is None:
        raise OptimisationError("theme_caps need WeighContext.registry (the asset registry)")
    caps = i.spec.constraints.theme_caps
    themes = sorted(caps)
    M = np.zeros((len(themes), i.n))
    for j, t in enumerate(themes):
        members = set(reg.with_theme(t))
        M[j] = [a in members for a in i.ctx.assets]
    return Terms(rows=(Rows.at_most(M, [caps[t] for t in themes]),))


def _turnover(i: Inputs) -> Terms:
    """``sum |w - previous| + |CASH - previous CASH| <= turnover - (weight in assets that left)``."""
    room = float(i.spec.constraints.turnover or 0.0) - i.previous[2]
    return Terms(rows=(Rows.at_most(np.ones((1, i.n)), [room], cash=[1.0], on_trades=True),))


def _liquidity(i: Inputs) -> Terms:
    """``w_i x portfolio_value <= k x ADV_i`` (capped at 1)."""
    k, value = i.spec.constraints.liquidity or 0.0, i.ctx.portfolio_value
    if value is None or value <= 0:
        raise OptimisationError("liquidity constraint needs WeighContext.portfolio_value > 0 (USD)")
    adv = i.ctx.series("volume").to_numpy()
    return Terms(upper=np.minimum(float(k) * np.clip(adv, 0.0, None) / float(value), 1.0))


def _stablecoin(i: Inputs) -> Terms:
    """``stablecoin_min <= CASH + registry stablecoins <= stablecoin_max``."""
    c, reg = i.spec.constraints, i.ctx.registry
    stable = np.zeros(i.n) if reg is None else np.array([reg.kind(a) == "stablecoin" for a in i.ctx.assets], dtype="float64")
    hi = 1.0 if c.stablecoin_max is None else c.stablecoin_max
    return Terms(rows=(Rows.between(stable[None, :], [c.stablecoin_min or 0.0], [hi], cash=[1.0]),))


def _linear(i: Inputs) -> Terms:
    """Return the user's rows, grouped by which sides they bound (the blocks' structure depends on the spec only)."""
    specs = i.spec.constraints.linear
    A = np.zeros((len(specs), i.n))
    cash = np.zeros(len(specs))
    pos = {a: k for k, a in enumerate(i.ctx.assets)}
    for r, lc in enumerate(specs):
        if lc.group is not None:
            A[r] = _members(i, lc.group, f"constraints.linear[{r}].group")
            continue
        for a, x in (lc.assets or {}).items():
            if a.upper() == CASH:
                cash[r] = x
            elif a in pos:
                A[r, pos[a]] = x
    blocks = []
    for kind in ("equal", "at_most", "at_least", "between"):
        idx = [r for r, lc in enumerate(specs) if _side(lc) == kind]
        if not idx:
            continue
        lo = np.array([specs[r].min for r in idx], dtype="float64") if kind != "at_most" else None
        hi = np.array([specs[r].max for r in idx], dtype="float64") if kind != "at_least" else None
        blocks.append(Rows(A[idx], cash[idx], lower=lo, upper=hi, equal=kind == "equal"))
    return Terms(rows=tuple(blocks))


def _side(lc: LinearConstraint) -> str:
    if lc.min is not None and lc.max is not None:
        return "equal" if lc.min == lc.max else "between"
    return "at_most" if lc.max is not None else "at_least"


def _members(i: Inputs, group: str, where: str) -> np.ndarray:
    """0/1 membership of ``group`` (registry theme or kind) over the context's assets."""
    reg = i.ctx.registry
    if reg is None:
        raise OptimisationError(f"{where} {group!r} needs WeighContext.registry (the asset registry)")
    members = set(reg.with_theme(group))
    if not members:
        raise OptimisationError(f"{where}: unknown group {group!r} (no registry asset has that theme or kind)")
    return np.array([a in members for a in i.ctx.assets], dtype="float64")


def custom_callables(c: ConstraintsSpec) -> list[CustomConstraint]:
    """Return the user's constraint callables (dotted paths imported)."""
    return [resolve_custom(e) for e in c.custom]


def _custom(w: Any, ctx: ProblemContext) -> list[Any]:
    out: list[Any] = []
    for fn in custom_callables(ctx.inputs.spec.constraints):
        try:
            got = fn(w, ctx)
        except Exception as exc:  # noqa: BLE001 - a user callable's failure is named
            raise OptimisationError(f"custom constraint {dotted_name(fn)} raised {exc!r}") from exc
        got = list(got) if isinstance(got, (list, tuple)) else [got]
        if not got or not all(hasattr(g, "is_dcp") for g in got):
            raise OptimisationError(f"custom constraint {dotted_name(fn)} must return cvxpy constraint(s), got {got!r}")
        out += got
    return out


def _describe_bounds(c: ConstraintsSpec) -> str:
    per = {a: (b.min, b.max) for a, b in c.per_asset.items()}
    return f"bounds (min_weight={c.min_weight}, max_weight={c.max_weight}" + (f", per_asset={per})" if per else ")")


CONSTRAINTS: dict[str, Constraint] = {
    g.name: g
    for g in (
        Constraint("long_only", (), lambda c: "long_only",
                   terms=lambda i: Terms(lower=np.zeros(i.n), cash_lower=0.0)),
        Constraint("budget", (), lambda c: "budget",
                   terms=lambda i: Terms(rows=(Rows.equal_to(np.ones((1, i.n)), [1.0], cash=[1.0]),))),
        Constraint("cash", (), lambda c: f"cash (cash_min={c.cash_min}, cash_max={c.cash_max})",
                   terms=_cash),
        Constraint("bounds", ("min_weight", "max_weight", "per_asset"), _describe_bounds, terms=_bounds),
        Constraint("theme_caps", ("theme_caps",), lambda c: f"theme_caps ({c.theme_caps})", terms=_theme_caps),
        Constraint("turnover", ("turnover",), lambda c: f"turnover (<= {c.turnover} L1 vs previous weights)",
                   terms=_turnover, needs_holdings=True),
        Constraint("liquidity", ("liquidity",), lambda c: f"liquidity (weight x portfolio value <= {c.liquidity} x ADV)",
                   terms=_liquidity),
        Constraint("stablecoin", ("stablecoin_min", "stablecoin_max"),
                   lambda c: f"stablecoin (min={c.stablecoin_min}, max={c.stablecoin_max}, CASH + stablecoins)",
                   terms=_stablecoin),
        Constraint("linear", ("linear",), lambda c: "linear (" + "; ".join(lc.text() for lc in c.linear) + ")",
                   terms=_linear),
        Constraint("custom", ("custom",), lambda c: "custom (" + ", ".join(dotted_name(f) for f in c.custom) + ")",
                   conic=_custom),
    )
}
#: Groups present in every problem.
ALWAYS = tuple(name for name, g in CONSTRAINTS.items() if not g.settings)


def groups_for(c: ConstraintsSpec, has_holdings: bool = True) -> tuple[str, ...]:
    """Constraint groups a spec switches on, in :data:`CONSTRAINTS` order (long_only, budget and cash always).

    Groups with ``needs_holdings`` (the turnover limit) apply only when there are
    previous weights (a first allocation from nothing is not limited).
    """
    on = set(c.active())
    return tuple(name for name, g in CONSTRAINTS.items()
                 if (not g.settings or on & set(g.settings)) and (has_holdings or not g.needs_holdings))


def describe(group: str, c: ConstraintsSpec) -> str:
    """Human description of a group's settings, for error messages."""
    g = CONSTRAINTS.get(group)
    return g.describe(c) if g is not None else group
