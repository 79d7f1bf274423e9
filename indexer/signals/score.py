"""``score(data, spec, assets)``: blended scores and per-signal contributions at the last bar of ``data``.

The strategy calls it with the point-in-time view ``data.until(as_of)``.
Fixed blend: ``sum_i w_i z_i / sum_i |w_i|`` in normalised (z or rank) units.
ML blend (``ridge``/``gbr``): the walk-forward model of the last refit date
predicts the ``horizon``-day forward return (fraction; relative to the
cross-sectional mean for cross-sectional normalisers); fitted models are
cached in memory by (spec, assets, first bar, refit date), so a backtest
refits only every ``refit_every`` days.  Before enough training history the
fixed blend is used and ``diagnostics["model_status"]`` says so.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from indexer.exceptions import SignalError
from indexer.models.walkforward import contributions as model_contributions
from indexer.models.walkforward import refit_date
from indexer.signals.blend import fixed_blend, ml_target, normalised_panels, signal_panels, stack_features, walk_forward
from indexer.signals.spec import ScoringSpec

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["ScoreResult", "score", "clear_model_cache"]

_MODEL_CACHE: "OrderedDict[tuple, tuple[Any, dict[str, Any]]]" = OrderedDict()
_CACHE_SIZE = 256


def clear_model_cache() -> None:
    """Forget the in-memory fitted ML blend models."""
    _MODEL_CACHE.clear()


@dataclass(frozen=True)
class ScoreResult:
    """Scores at one bar.

    Attributes
    ----------
    scores
        Blended score per asset (higher = more attractive).
    contributions
        Asset x signal-label frame: each signal's part of the score.
    diagnostics
        ``as_of``, ``model`` and ``model_status``, ``units``, raw signal values,
        ``missing`` (signals without a value per asset), training range of the ML model.
    """

    scores: pd.Series
    contributions: pd.DataFrame
    diagnostics: dict[str, Any] = field(default_factory=dict)


def _model_for(X: pd.DataFrame, y: pd.Series, spec: ScoringSpec, assets: tuple[str, ...], start: pd.Timestamp, as_of: pd.Timestamp) -> tuple[Any, dict[str, Any]]:
    r = refit_date(as_of, spec.model.refit_every)
    key = (spec.model_dump_json(), assets, start, r)
    if key in _MODEL_CACHE:
        _MODEL_CACHE.move_to_end(key)
        return _MODEL_CACHE[key]
    fitted = walk_forward(spec).fit_one(X, y, r)
    _MODEL_CACHE[key] = fitted
    if len(_MODEL_CACHE) > _CACHE_SIZE:
        _MODEL_CACHE.popitem(last=False)
    return fitted


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, pd.Timestamp) else v


def score(data: "MarketData", spec: ScoringSpec, assets: Sequence[str]) -> ScoreResult:
    """Scores for ``assets`` at the last bar of ``data`` (see module docstring).

    Raises
    ------
    SignalError
        Unknown assets, no data, or a signal that fails.
    """
    assets = list(dict.fromkeys(assets))
    if not assets:
        return ScoreResult(pd.Series(dtype="float64", name="score"), pd.DataFrame(columns=spec.labels, dtype="float64"), {"note": "no assets"})
    missing = [a for a in assets if a not in data.close.columns]
    if missing:
        raise SignalError(f"score: assets {missing} are not in the data (have {list(data.close.columns)})")
    if len(data.close) == 0:
        raise SignalError("score: the data has no rows")
    sub = data.select(assets)
    as_of = sub.close.index[-1]
    panels = signal_panels(sub, spec)
    norm = normalised_panels(panels, spec)
    labels = spec.labels
    last = pd.DataFrame({k: norm[k].iloc[-1] for k in labels}).reindex(assets)
    diag: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "model": spec.model.type,
        "normalise": spec.normalise,
        "raw": {k: {a: (None if np.isnan(v) else float(v)) for a, v in panels[k].iloc[-1].items()} for k in labels},
        "missing": {a: [k for k in labels if np.isnan(last.loc[a, k])] for a in assets if last.loc[a].isna().any()},
    }
    use_fixed = spec.model.type == "fixed"
    if not use_fixed:
        X = stack_features(norm, labels)
        y = ml_target(sub.close, spec).stack(future_stack=True).reindex(X.index)
        model, info = _model_for(X, y, spec, tuple(assets), sub.close.index[0], as_of)
        diag["training"] = {k: _iso(v) for k, v in info.items()}
        if model is None:
            use_fixed = True
            diag["model_status"] = (
                f"fallback to fixed blend: {info['n_train']} training rows < min_train {spec.model.min_train} "
                f"before refit {info['refit'].date()}"
            )
        else:
            xs = last.fillna(0.0)
            pred = model.predict(xs.to_numpy(dtype="float64"))
            contrib = model_contributions(model, xs)
            diag["model_status"] = f"{spec.model.type} fitted at refit {info['refit'].date()} on {info['n_train']} rows"
            diag["units"] = f"predicted {spec.model.horizon}-day forward return (fraction" + (
                ", relative to the cross-sectional mean)" if spec.normalise in ("zscore", "rank") and len(assets) > 1 else ")"
            )
            diag["intercept"] = float(getattr(model, "intercept_", np.nan)) if hasattr(model, "intercept_") else None
            scores = pd.Series(pred, index=assets, name="score", dtype="float64")
            return _scaled(ScoreResult(scores, contrib.astype("float64"), diag), spec.scale)
    _, contrib_panels = fixed_blend({k: last[k].to_frame().T for k in labels}, spec)
    contrib = pd.DataFrame({k: contrib_panels[k].iloc[0] for k in labels}).reindex(assets)
    diag.setdefault("model_status", "fixed weights")
    diag["units"] = f"weighted mean of {spec.normalise}-normalised signals (missing signal = 0)"
    diag["weights"] = {s.label: s.weight for s in spec.signals}
    scores = contrib.sum(axis=1).rename("score").astype("float64")
    return _scaled(ScoreResult(scores, contrib.astype("float64"), diag), spec.scale)


def _scaled(res: ScoreResult, scale: float) -> ScoreResult:
    if scale == 1.0:
        return res
    diag = dict(res.diagnostics)
    diag["scale"] = scale
    if diag.get("intercept") is not None:
        diag["intercept"] = diag["intercept"] * scale
    return ScoreResult(res.scores * scale, res.contributions * scale, diag)
