"""Signal panels -> normalised features -> fixed-weight or walk-forward ML blend (whole-history panels)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from indexer.signals.normalise import normalise
from indexer.signals.spec import ScoringSpec

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData
    from indexer.models.walkforward import WalkForwardRegressor

__all__ = [
    "signal_panels",
    "normalised_panels",
    "fixed_blend",
    "forward_returns",
    "ml_target",
    "stack_features",
    "walk_forward",
    "blend_panel",
]


def signal_panels(data: MarketData, spec: ScoringSpec) -> dict[str, pd.DataFrame]:
    """Raw panel of every signal of ``spec``, keyed by label."""
    return {s.label: s.build()(data) for s in spec.signals}  # type: ignore[misc]


def normalised_panels(panels: dict[str, pd.DataFrame], spec: ScoringSpec) -> dict[str, pd.DataFrame]:
    """Each panel normalised per ``spec.normalise`` / ``spec.winsor``."""
    return {k: normalise(v, spec.normalise, spec.winsor) for k, v in panels.items()}


def fixed_blend(norm: dict[str, pd.DataFrame], spec: ScoringSpec) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """``score = sum_i w_i z_i / sum_i |w_i|`` with a missing z counted as 0 (neutral).

    Returns the score panel (NaN where every signal is missing) and each signal's contribution panel.
    """
    tot = sum(abs(s.weight) for s in spec.signals) or 1.0
    contrib = {str(s.label): norm[str(s.label)].fillna(0.0) * (s.weight / tot) for s in spec.signals}
    any_value = sum(norm[k].notna().astype(float) for k in norm) > 0
    score = sum(contrib.values()).where(any_value)
    return score, contrib


def forward_returns(close: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """``close[t+h] / close[t] - 1`` (fraction; NaN where t+h is beyond the data)."""
    return close.shift(-horizon) / close - 1.0


def ml_target(close: pd.DataFrame, spec: ScoringSpec) -> pd.DataFrame:
    """Forward return over ``spec.model.horizon``; cross-sectionally demeaned for cross-sectional normalisers."""
    fr = forward_returns(close, spec.model.horizon)
    if spec.normalise in ("zscore", "rank") and close.shape[1] > 1:
        fr = fr.sub(fr.mean(axis=1), axis=0)
    return fr


def stack_features(norm: dict[str, pd.DataFrame], labels: list[str]) -> pd.DataFrame:
    """Long frame indexed by (timestamp, asset), one column per signal label (rows with any value)."""
    X = pd.concat({k: norm[k].stack(future_stack=True) for k in labels}, axis=1)
    X.index = X.index.set_names(["timestamp", "asset"])
    return X[X.notna().any(axis=1)]


def walk_forward(spec: ScoringSpec) -> WalkForwardRegressor:
    """Return the :class:`WalkForwardRegressor` configured by ``spec.model``."""
    from indexer.models.walkforward import WalkForwardRegressor  # scikit-learn, imported when an ML blend runs

    m = spec.model
    return WalkForwardRegressor(
        m.type,
        horizon=m.horizon,
        purge=m.purge_days,
        train_window=m.train_window,
        refit_every=m.refit_every,
        min_train=m.min_train,
        sample_every=m.sample_every,
    )


def blend_panel(data: MarketData, spec: ScoringSpec) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return the blended score over the whole history, out-of-sample for ML models.

    Returns ``(panel, info)``: ``info`` holds ``panels`` (raw), ``normalised``
    and, for ML models, ``folds`` (training ranges per refit date).
    """
    panels = signal_panels(data, spec)
    norm = normalised_panels(panels, spec)
    info: dict[str, Any] = {"panels": panels, "normalised": norm}
    if spec.model.type == "fixed":
        score, _ = fixed_blend(norm, spec)
        return score, info
    X = stack_features(norm, spec.labels)
    y = ml_target(data.close, spec).stack(future_stack=True).reindex(X.index)
    wf = walk_forward(spec).fit(X, y)
    pred = wf.predict(X).unstack("asset").reindex(index=data.close.index, columns=data.close.columns)
    info["folds"] = wf.folds_
    info["model"] = wf
    return pred.astype("float64"), info
