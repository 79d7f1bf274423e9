"""``ScoringSpec``: the ``signals:`` block of a strategy file (pydantic v2, unknown fields forbidden).

Example (YAML)::

    signals:
      signals:
        - {name: momentum, params: {horizon: 90, skip: 7}, weight: 1.0}
        - {name: vol_adjusted_momentum, weight: 0.5}
        - {name: amihud, weight: 0.25}
      normalise: zscore        # zscore | rank | ts_zscore | none
      winsor: 0.05             # clip each day's values to its 5% / 95% quantiles
      model: {type: ridge, horizon: 30, train_window: 730, refit_every: 30, purge: 30}
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from indexer.exceptions import SignalError
from indexer.signals.base import Signal, available, get

__all__ = ["SignalSpec", "ModelSpec", "ScoringSpec"]


class SignalSpec(BaseModel):
    """One signal: registered ``name`` (or dotted path), its ``params`` and blend ``weight``.

    ``label`` names the signal in contributions and reports (default: ``name``,
    made unique by the spec when a name repeats).  ``max_age_days`` overrides
    the age limit of every input of the signal (days); ``on_stale`` says what a
    live run does when one is older: ``block`` the decision (default) or
    ``drop`` the signal and renormalise the blend, recorded in the decision
    (:mod:`indexer.strategy.freshness`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    weight: float = 1.0
    label: str | None = None
    max_age_days: float | None = Field(None, gt=0, description="age limit of the signal's inputs, days")
    on_stale: Literal["block", "drop"] = "block"

    @model_validator(mode="after")
    def _check(self) -> SignalSpec:
        try:
            get(self.name, **self.params)
        except SignalError as exc:
            raise ValueError(str(exc)) from None
        return self

    def build(self) -> Signal:
        """Build the configured :class:`Signal`."""
        return get(self.name, **self.params)


class ModelSpec(BaseModel):
    """How signals are blended.

    Attributes
    ----------
    type
        ``fixed`` (weights from the file), ``ridge`` or ``gbr`` (walk-forward
        ML blend predicting ``horizon``-day forward returns).
    horizon
        Forward-return horizon of the ML target, days.
    train_window
        Rolling training window in days, or ``None`` (expanding).
    refit_every
        Days between refits (models are cached per refit date).
    purge
        Gap in days between the last training sample and the refit date;
        default and minimum: ``horizon``.
    min_train
        Fewest training rows before the ML model is used (before: fixed blend).
    sample_every
        Use every k-th day as a training date (speed).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["fixed", "ridge", "gbr"] = "fixed"
    horizon: int = Field(30, ge=1, le=365)
    train_window: int | None = Field(None, ge=30)
    refit_every: int = Field(30, ge=1)
    purge: int | None = Field(None, ge=1)
    min_train: int = Field(200, ge=10)
    sample_every: int = Field(5, ge=1)

    @model_validator(mode="after")
    def _purge(self) -> ModelSpec:
        if self.purge is not None and self.purge < self.horizon:
            raise ValueError(f"purge ({self.purge}) must be >= horizon ({self.horizon}) so training targets never overlap")
        return self

    @property
    def purge_days(self) -> int:
        """Days dropped between training targets and the refit date (default ``horizon``)."""
        return self.horizon if self.purge is None else self.purge


class ScoringSpec(BaseModel):
    """Signals, normalisation and blend model of a strategy (see module docstring).

    ``scale`` multiplies the final scores and contributions, e.g. ``0.02`` to
    read one z unit of a fixed blend as a 2% expected return in a
    ``mean_variance`` objective.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    signals: list[SignalSpec] = Field(min_length=1)
    normalise: Literal["zscore", "rank", "ts_zscore", "none"] = "zscore"
    winsor: float = Field(0.05, ge=0.0, lt=0.5)
    model: ModelSpec = Field(default_factory=ModelSpec)
    scale: float = Field(1.0, gt=0.0, description="Multiplier on the blended scores and contributions.")

    @field_validator("signals", mode="before")
    @classmethod
    def _names_first(cls, v: Any) -> Any:
        if isinstance(v, list):
            for i, item in enumerate(v):
                name = item.get("name") if isinstance(item, dict) else None
                if isinstance(name, str) and "." not in name and name not in available():
                    raise ValueError(f"signals[{i}].name {name!r} is not a registered signal; allowed: {', '.join(available())}")
        return v

    @model_validator(mode="after")
    def _labels(self) -> ScoringSpec:
        seen: dict[str, int] = {}
        fixed = []
        for s in self.signals:
            base = s.label or s.name
            seen[base] = seen.get(base, 0) + 1
            fixed.append(s if seen[base] == 1 and s.label else s.model_copy(update={"label": base if seen[base] == 1 else f"{base}_{seen[base]}"}))
        object.__setattr__(self, "signals", fixed)
        if self.model.type == "fixed" and sum(abs(s.weight) for s in self.signals) == 0:
            raise ValueError("fixed blend: at least one signal weight must be non-zero")
        return self

    @property
    def labels(self) -> list[str]:
        """Signal labels in file order (contribution column names)."""
        return [str(s.label) for s in self.signals]

    @property
    def lookback(self) -> int:
        """Bars of history needed: the longest signal lookback, plus training history for an ML model."""
        lb = max(s.build().lookback for s in self.signals)
        if self.model.type != "fixed":
            lb += self.model.purge_days + self.model.refit_every
        return int(lb)
