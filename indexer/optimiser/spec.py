"""The optimiser section of a strategy file: objective, risk model, constraints, fallback.

Example (YAML)::

    optimiser:
      objective: mean_variance
      params: {risk_aversion: 2.0}
      risk_model: {name: ledoit_wolf}
      constraints: {max_weight: 0.25, theme_caps: {defi: 0.3}, turnover: 0.5}
      penalties: {turnover: 0.002}
      fallback: [previous, equal_weight]

Unknown fields are rejected; errors list the allowed names.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "CLOSED_FORMS",
    "CONVEX_OBJECTIVES",
    "OBJECTIVES",
    "OBJECTIVE_PARAMS",
    "IF_UNREACHABLE",
    "RISK_MODELS",
    "FALLBACKS",
    "RiskModelSpec",
    "AssetBounds",
    "ConstraintsSpec",
    "PenaltiesSpec",
    "OptimiserSpec",
]

#: Objectives solved in closed form (no solver).
CLOSED_FORMS = ("market_cap", "equal_weight", "inverse_volatility", "fixed")
#: Objectives solved with cvxpy.
CONVEX_OBJECTIVES = (
    "mean_variance",
    "min_variance",
    "max_sharpe",
    "risk_parity",
    "min_cvar",
    "max_diversification",
    "min_tracking_error",
    "target_return",
)
OBJECTIVES = CLOSED_FORMS + CONVEX_OBJECTIVES

#: Allowed ``params`` per objective (name -> default).
OBJECTIVE_PARAMS: dict[str, dict[str, Any]] = {
    "market_cap": {"power": 1.0, "max_weight": None},
    "equal_weight": {},
    "inverse_volatility": {},
    "fixed": {"weights": None},
    "mean_variance": {"risk_aversion": 1.0},
    "min_variance": {},
    "max_sharpe": {"risk_free": 0.0},
    "risk_parity": {"budgets": None},
    "min_cvar": {"alpha": 0.95},
    "max_diversification": {},
    "min_tracking_error": {"benchmark": "market_cap"},
    "target_return": {"required_return": None, "if_unreachable": "error"},
}
#: What ``target_return`` does when no portfolio meets the required return.
IF_UNREACHABLE = ("error", "max_return")

RISK_MODELS = ("sample", "ewma", "ledoit_wolf", "oas", "pca_factor")
FALLBACKS = ("previous", "equal_weight", "inverse_volatility", "market_cap")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RiskModelSpec(_Strict):
    """Covariance estimator of the returns window (annualised x365).

    ``halflife`` (days) is used by ``ewma``; ``n_factors`` by ``pca_factor``.
    """

    name: Literal["sample", "ewma", "ledoit_wolf", "oas", "pca_factor"] = "ledoit_wolf"
    halflife: float = Field(30.0, gt=0)
    n_factors: int = Field(3, ge=1)


class AssetBounds(_Strict):
    """Per-asset minimum and maximum weight (fractions)."""

    min: float = Field(0.0, ge=0, le=1)
    max: float = Field(1.0, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> "AssetBounds":
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
    max_holdings: int | None = Field(None, ge=1)
    dust: float = Field(0.0, ge=0, lt=1)

    @field_validator("theme_caps")
    @classmethod
    def _caps_fractions(cls, v: dict[str, float]) -> dict[str, float]:
        for theme, cap in v.items():
            if not 0 <= cap <= 1:
                raise ValueError(f"theme cap {theme!r} must be a fraction in [0, 1], got {cap}")
        return {k.lower(): float(c) for k, c in v.items()}

    @model_validator(mode="after")
    def _ordered(self) -> "ConstraintsSpec":
        if self.max_weight is not None and self.min_weight > self.max_weight:
            raise ValueError(f"min_weight {self.min_weight} > max_weight {self.max_weight}")
        if self.cash_min > self.cash_max:
            raise ValueError(f"cash_min {self.cash_min} > cash_max {self.cash_max}")
        lo, hi = self.stablecoin_min, self.stablecoin_max
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"stablecoin_min {lo} > stablecoin_max {hi}")
        return self

    def active(self) -> list[str]:
        """Names of the constraints that are switched on (for diagnostics and blame)."""
        on = []
        if self.min_weight > 0:
            on.append("min_weight")
        if self.max_weight is not None:
            on.append("max_weight")
        if self.per_asset:
            on.append("per_asset")
        if self.theme_caps:
            on.append("theme_caps")
        if self.turnover is not None:
            on.append("turnover")
        if self.liquidity is not None:
            on.append("liquidity")
        if self.cash_min > 0 or self.cash_max > 0:
            on.append("cash")
        if self.stablecoin_min is not None or self.stablecoin_max is not None:
            on.append("stablecoin")
        return on


class PenaltiesSpec(_Strict):
    """Costs subtracted from the objective, against the previous weights.

    ``turnover``: coefficient on ``||w - previous||_1``; ``transaction_cost``:
    proportional cost rate (fraction per unit traded, e.g. 0.001 = 10 bps),
    one number or per asset (missing assets use ``default_cost``).
    """

    turnover: float = Field(0.0, ge=0)
    transaction_cost: float | dict[str, float] = 0.0
    default_cost: float = Field(0.0, ge=0)

    @property
    def any(self) -> bool:
        tc = self.transaction_cost
        return self.turnover > 0 or (any(v > 0 for v in tc.values()) if isinstance(tc, dict) else tc > 0)


#: Objective parameters that hold one number / a mapping asset -> number.
_NUMBER_PARAMS = ("power", "max_weight", "risk_aversion", "risk_free", "alpha", "required_return")
_MAPPING_PARAMS = ("weights", "budgets")


def _is_number(v: Any) -> bool:
    import math

    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _strict_param_types(params: dict[str, Any], objective: str) -> None:
    """Numbers must be finite numbers (YAML ``yes`` or ``"0.3"`` is not a number)."""
    for name, v in params.items():
        if name == "required_return" and isinstance(v, (int, float)) and not isinstance(v, bool):
            continue  # its own check names the allowed range (NaN included)
        if name in _NUMBER_PARAMS and v is not None and not _is_number(v):
            raise ValueError(f"params.{name} of objective {objective!r} must be a finite number, got {v!r}")
        if name in _MAPPING_PARAMS and isinstance(v, dict):
            for asset, x in v.items():
                if not _is_number(x):
                    raise ValueError(f"params.{name}.{asset} of objective {objective!r} must be a finite number, got {x!r}")


def _check_target_return(required: Any, if_unreachable: Any) -> None:
    if required is None:
        raise ValueError("objective 'target_return' needs params.required_return (annual fraction, e.g. 0.4)")
    try:
        r = float(required)
    except (TypeError, ValueError):
        raise ValueError(f"target_return required_return must be a number (annual fraction), got {required!r}") from None
    if not -1.0 < r < 100.0:
        raise ValueError(f"target_return required_return must be an annual fraction in (-1, 100), got {required!r}")
    if if_unreachable not in IF_UNREACHABLE:
        raise ValueError(f"target_return if_unreachable {if_unreachable!r}; allowed: {', '.join(IF_UNREACHABLE)}")


class OptimiserSpec(_Strict):
    """Everything the optimiser needs from a strategy file."""

    objective: str = "market_cap"
    params: dict[str, Any] = Field(default_factory=dict)
    risk_model: RiskModelSpec = Field(default_factory=RiskModelSpec)
    constraints: ConstraintsSpec = Field(default_factory=ConstraintsSpec)
    penalties: PenaltiesSpec = Field(default_factory=PenaltiesSpec)
    fallback: list[Literal["previous", "equal_weight", "inverse_volatility", "market_cap"]] = Field(
        default_factory=list
    )
    solver: Literal["auto", "CLARABEL", "OSQP", "SCS", "HIGHS", "DAQP"] = "auto"

    @field_validator("objective")
    @classmethod
    def _known_objective(cls, v: str) -> str:
        if v not in OBJECTIVES:
            raise ValueError(f"unknown objective {v!r}; allowed: {', '.join(OBJECTIVES)}")
        return v

    @field_validator("risk_model", mode="before")
    @classmethod
    def _risk_model_name(cls, v: Any) -> Any:
        if isinstance(v, str):
            if v not in RISK_MODELS:
                raise ValueError(f"unknown risk model {v!r}; allowed: {', '.join(RISK_MODELS)}")
            return {"name": v}
        return v

    @model_validator(mode="after")
    def _known_params(self) -> "OptimiserSpec":
        allowed = OBJECTIVE_PARAMS[self.objective]
        unknown = sorted(set(self.params) - set(allowed))
        if unknown:
            names = ", ".join(allowed) or "none"
            raise ValueError(f"objective {self.objective!r} has no parameter(s) {unknown}; allowed: {names}")
        _strict_param_types(self.params, self.objective)
        p = self.param
        if self.objective == "market_cap":
            power = float(p("power"))
            if not 0 < power <= 1:
                raise ValueError(f"market_cap power must be in (0, 1] (1 = cap weights, 0.5 = square root), got {power}")
            cap = p("max_weight")
            if cap is not None and not 0 < float(cap) <= 1:
                raise ValueError(f"market_cap max_weight must be a fraction in (0, 1], got {cap}")
        if self.objective == "fixed":
            w = p("weights")
            if not isinstance(w, dict) or not w:
                raise ValueError("objective 'fixed' needs params.weights, e.g. {BTC: 0.6, ETH: 0.4}")
            if any(float(x) < 0 for x in w.values()):
                raise ValueError(f"fixed weights must be >= 0, got {w}")
            total = sum(float(x) for x in w.values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"fixed weights must sum to 1 (CASH may be listed), got {total:.6f}")
        if self.penalties.any and self.objective in ("max_sharpe", "max_diversification"):
            raise ValueError(
                f"penalties do not apply to the ratio objective {self.objective!r} "
                "(use constraints.turnover, or mean_variance with penalties)"
            )
        if self.objective == "mean_variance" and float(p("risk_aversion")) < 0:
            raise ValueError("mean_variance risk_aversion must be >= 0")
        if self.objective == "target_return":
            _check_target_return(p("required_return"), p("if_unreachable"))
        if self.objective == "min_cvar" and not 0 < float(p("alpha")) < 1:
            raise ValueError("min_cvar alpha must be in (0, 1), e.g. 0.95")
        return self

    def param(self, name: str) -> Any:
        """Value of objective parameter ``name`` (the default when not given)."""
        return self.params.get(name, OBJECTIVE_PARAMS[self.objective][name])

    @property
    def is_closed_form(self) -> bool:
        return self.objective in CLOSED_FORMS
