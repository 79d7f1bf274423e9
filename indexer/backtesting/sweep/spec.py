"""``SweepSpec``: a sweep file (YAML) naming a strategy, the parameters to vary and the metric to rank by.

Example::

    strategy: ../strategies/top10_capped.yaml     # relative to this file
    mode: grid                                     # or random (with n_samples, seed)
    metric: sharpe
    start: 2021-01-01
    params:                                        # dotted paths into the strategy file
      optimiser.params.max_weight: [0.15, 0.25, 0.35]
      rebalance.every: [weekly, monthly]
    costs:                                         # simulation-only: one vectorbt run, broadcast columns
      fees: [0.0005, 0.001]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from indexer.backtesting.metrics import STAT_KEYS
from indexer.config import read_yaml_mapping, reject_loose_numbers
from indexer.exceptions import ConfigError

__all__ = ["SweepSpec", "RandomRange", "CostGrid", "load_sweep", "LOWER_IS_BETTER"]

#: Metrics ranked ascending (smaller is better).
LOWER_IS_BETTER = frozenset({"volatility", "max_drawdown_duration_days", "turnover_annual", "fees_paid",
                             "slippage_paid", "costs_fraction", "tracking_error"})  # fmt: skip
_RANKABLE = tuple(k for k in STAT_KEYS if k not in ("start", "end", "benchmark")) + ("deflated_sharpe",)


class RandomRange(BaseModel):
    """A range to draw from in random search: uniform in [low, high] (log-uniform with ``log``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    low: float
    high: float
    log: bool = False
    integer: bool = False


class CostGrid(BaseModel):
    """Simulation-only parameters, swept as broadcast vectorbt columns (no new strategy decisions)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    fees: list[float] = Field(default_factory=lambda: [0.001], min_length=1)
    slippage: list[float] = Field(default_factory=lambda: [0.0005], min_length=1)

    @field_validator("fees", "slippage")
    @classmethod
    def _fractions(cls, v: list[float]) -> list[float]:
        bad = [x for x in v if not 0 <= x < 0.5]
        if bad:
            raise ValueError(f"{bad} are not fractions in [0, 0.5)")
        return v


class SweepSpec(BaseModel):
    """A whole sweep file (unknown fields forbidden)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: str
    mode: Literal["grid", "random"] = "grid"
    n_samples: int = Field(20, ge=1, le=10_000)
    seed: int = 0
    metric: str = "sharpe"
    start: str | None = None
    end: str | None = None
    init_cash: float = Field(100_000.0, gt=0)
    params: dict[str, list[Any] | RandomRange] = Field(default_factory=dict)
    costs: CostGrid = Field(default_factory=CostGrid)

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str) -> str:
        if v not in _RANKABLE:
            raise ValueError(f"metric {v!r} not one of {', '.join(_RANKABLE)}")
        return v

    @field_validator("start", "end", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        return None if v is None else str(v)


def load_sweep(path: str | Path) -> tuple[SweepSpec, Path]:
    """Read and validate a sweep file; returns the spec and the strategy path resolved against the file."""
    p = Path(path)
    doc = read_yaml_mapping(p, "sweep file (a mapping with strategy: and params:)")
    reject_loose_numbers(SweepSpec, doc, f"sweep file {p}")
    try:
        spec = SweepSpec.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"{p}: field {where}: {first['msg']}") from None
    if spec.mode == "grid":
        ranged = [k for k, v in spec.params.items() if isinstance(v, RandomRange)]
        if ranged:
            raise ConfigError(f"{p}: params {ranged} are ranges; grid mode needs lists of values (or mode: random)")
    strat = (p.parent / spec.strategy).resolve()
    if not strat.is_file():
        alt = Path(spec.strategy).resolve()
        if not alt.is_file():
            raise ConfigError(f"{p}: field strategy: {spec.strategy!r} not found (relative to {p.parent} or the cwd)")
        strat = alt
    return spec, strat
