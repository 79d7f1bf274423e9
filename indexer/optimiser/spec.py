"""The optimiser section of a strategy file: objective, risk model, constraints, fallback.

Example (YAML)::

    optimiser:
      objective: mean_variance
      params: {risk_aversion: 2.0}
      risk_model: {name: ledoit_wolf}
      constraints:
        max_weight: 0.25
        theme_caps: {defi: 0.3}
        turnover: 0.5
        linear: [{assets: {BTC: 1, ETH: 1}, min: 0.4}]   # user rows, by asset or group
        custom: [mypkg.rules.my_rule]                    # user cvxpy callables fn(w, ctx)
      penalties: {turnover: 0.002}
      fallback: [previous, equal_weight]

Unknown fields are rejected; errors list the allowed names.  Objectives come
from the registry of :mod:`~indexer.optimiser.objectives` (their parameters
and checks live there), constraint settings from
:mod:`~indexer.optimiser.constraints`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from indexer.exceptions import ConfigError
from indexer.optimiser.constraints import AssetBounds, ConstraintsSpec, LinearConstraint
from indexer.optimiser.objectives import HOMOGENEOUS, IF_UNREACHABLE, Objective, objective, objective_names

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
    "LinearConstraint",
    "ConstraintsSpec",
    "PenaltiesSpec",
    "OptimiserSpec",
]

#: Built-in objectives solved in closed form (no solver).
CLOSED_FORMS = tuple(n for n in objective_names() if objective(n).closed_form)
#: Built-in objectives solved as optimisation problems.
CONVEX_OBJECTIVES = tuple(n for n in objective_names() if not objective(n).closed_form)
#: Built-in objectives (:func:`~indexer.optimiser.objectives.objective_names` also lists registered ones).
OBJECTIVES = CLOSED_FORMS + CONVEX_OBJECTIVES
#: Allowed ``params`` per built-in objective (name -> default).
OBJECTIVE_PARAMS: dict[str, dict[str, Any]] = {n: dict(objective(n).params) for n in OBJECTIVES}

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
        """Whether any penalty is non-zero."""
        tc = self.transaction_cost
        return self.turnover > 0 or (any(v > 0 for v in tc.values()) if isinstance(tc, dict) else tc > 0)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _strict_param_types(params: dict[str, Any], obj: Objective) -> None:
    """Numbers must be finite numbers (YAML ``yes`` or ``"0.3"`` is not a number)."""
    for name, v in params.items():
        if name in obj.numbers and v is not None and not _is_number(v):
            raise ValueError(f"params.{name} of objective {obj.name!r} must be a finite number, got {v!r}")
        if name in obj.mappings and isinstance(v, dict):
            for asset, x in v.items():
                if not _is_number(x):
                    raise ValueError(f"params.{name}.{asset} of objective {obj.name!r} must be a finite number, got {x!r}")


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
        try:
            obj = objective(v)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        if obj.internal:
            raise ValueError(f"unknown objective {v!r}; allowed: {', '.join(objective_names())}")
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
    def _known_params(self) -> OptimiserSpec:
        obj = self.definition
        unknown = sorted(set(self.params) - set(obj.params))
        if unknown:
            names = ", ".join(obj.params) or "none"
            raise ValueError(f"objective {self.objective!r} has no parameter(s) {unknown}; allowed: {names}")
        _strict_param_types(self.params, obj)
        if obj.check is not None:
            obj.check(self.param)
        if self.penalties.any and obj.mode == HOMOGENEOUS:
            raise ValueError(
                f"penalties do not apply to the ratio objective {self.objective!r} "
                "(use constraints.turnover, or mean_variance with penalties)"
            )
        return self

    @property
    def definition(self) -> Objective:
        """The :class:`~indexer.optimiser.objectives.Objective` named by ``objective``."""
        return objective(self.objective)

    def param(self, name: str) -> Any:
        """Value of objective parameter ``name`` (the default when not given)."""
        return self.params.get(name, self.definition.params[name])

    @property
    def is_closed_form(self) -> bool:
        """Whether the objective is a closed form (no solver)."""
        return self.definition.closed_form
