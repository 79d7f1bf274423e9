"""``score(data, spec, assets)``: blended scores and per-signal contributions at the last bar of ``data``.

The strategy calls it with the point-in-time view ``data.until(as_of)``.
Fixed blend: ``sum_i w_i z_i / sum_i |w_i|`` in normalised (z or rank) units.
ML blend (``ridge``/``gbr``): the walk-forward model of the last refit date
predicts the ``horizon``-day forward return (fraction; relative to the
cross-sectional mean for cross-sectional normalisers).  Before enough training
history the fixed blend is used and ``diagnostics["model_status"]`` says so.

Inside a ``with RunCache():`` block (every backtest and sweep opens one) the
whole-history paths (ML blend, ``ts_zscore``, signals without a last-row window
such as ``news_sentiment``) read a :class:`~indexer.signals.features.FeatureStore`:
raw signals computed once per run and extended by the new bars at each
decision, the model refitted only on its schedule (per asset set) and applied
to the last row.  Outside one, or with ``full_history=True``, everything is
recomputed from the view (the reference the store is tested against).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer.exceptions import SignalError
from indexer.runcache import active
from indexer.signals._util import tail
from indexer.signals.base import Signal
from indexer.signals.blend import ml_target, normalised_panels, stack_features, walk_forward
from indexer.signals.features import feature_store
from indexer.signals.ml_store import normalised_rows, store_model
from indexer.signals.normalise import normalise_rows
from indexer.signals.spec import ScoringSpec

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["ScoreResult", "score", "last_row_window", "feature_store_key"]

_MODELS = "signals.models"


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
    from indexer.models.walkforward import refit_date  # scikit-learn: only for ML blends

    r = refit_date(as_of, spec.model.refit_every)
    key = (spec.model_dump_json(), assets, start, len(X), float(np.nansum(X.to_numpy())), r)
    return active().get_or_make(_MODELS, key, lambda: walk_forward(spec).fit_one(X, y, r))


def feature_store_key(spec: ScoringSpec) -> str:
    """Return what the raw panels depend on: the signals and their parameters (not weights, normaliser or model)."""
    return repr([(lab, s.name, sorted(s.params.items())) for lab, s in zip(spec.labels, spec.signals, strict=True)])


_store_key = feature_store_key


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, pd.Timestamp) else v


def last_row_window(spec: ScoringSpec, signals: Sequence[Signal] | None = None) -> int | None:
    """Trailing bars that determine ``score``'s result, or ``None`` when it needs the whole history.

    Set only for a fixed blend with a per-day (cross-sectional or no)
    normaliser whose signals all declare :attr:`Signal.last_row_window`; the
    ML blend (trained on the history) and ``ts_zscore`` (expanding) need everything.
    """
    if spec.model.type != "fixed" or spec.normalise == "ts_zscore":
        return None
    ws = [s.last_row_window for s in (signals if signals is not None else [x.build() for x in spec.signals])]
    known = [w for w in ws if w is not None]
    return None if len(known) < len(ws) else int(max(known))


def _none_or_float(values: np.ndarray) -> list[float | None]:
    return [None if v != v else v for v in values.tolist()]  # v != v: NaN


def score(data: MarketData, spec: ScoringSpec, assets: Sequence[str], *, full_history: bool = False) -> ScoreResult:
    """Scores for ``assets`` at the last bar of ``data`` (see module docstring).

    When :func:`last_row_window` is set (fixed blends of windowed signals), each
    signal is computed on its own trailing window and only the last row is
    normalised: the same numbers as the whole-history computation
    (``full_history=True``, tested for every registered signal) at a fraction of the cost.

    Raises
    ------
    SignalError
        Unknown assets, no data, or a signal that fails.
    """
    assets = list(dict.fromkeys(assets))
    if not assets:
        return ScoreResult(pd.Series(dtype="float64", name="score"), pd.DataFrame(columns=spec.labels, dtype="float64"), {"note": "no assets"})
    cols = data.close.columns
    col_pos = {c: j for j, c in enumerate(cols.tolist())}
    missing = [a for a in assets if a not in col_pos]
    if missing:
        raise SignalError(f"score: assets {missing} are not in the data (have {list(cols)})")
    if len(data.close) == 0:
        raise SignalError("score: the data has no rows")
    labels = spec.labels
    a_idx, l_idx = pd.Index(assets), pd.Index(labels)  # built once per call: pandas' string indexes are not cheap
    sigs = [s.build() for s in spec.signals]
    window = None if full_history else last_row_window(spec, sigs)
    as_of = data.close.index[-1]
    norm: dict[str, pd.DataFrame] = {}
    # inside a run (backtest, sweep) the run's feature store extends every signal by the new bars, which is
    # cheaper than recomputing even the trailing windows at every decision; outside one, the last-row path
    store = None if full_history else feature_store(data, sigs, labels, _store_key(spec))
    if store is not None:
        window = None
    if window is not None:
        sub = tail(data, window)
        if len(assets) != len(cols):  # per-asset signals: the full column set needs no (copying) selection
            sub = sub.select(assets)
        pos = sub.close.columns.get_indexer(assets)
        vals = np.column_stack([sig.last(sub).to_numpy(dtype="float64")[pos] for sig in sigs])
        raw = pd.DataFrame(vals, index=a_idx, columns=l_idx)
        z = normalise_rows(raw.to_numpy(dtype="float64").T, spec.normalise, spec.winsor)  # one row per signal
        last = pd.DataFrame(z.T, index=a_idx, columns=l_idx)
    else:
        if store is not None:
            n = len(data.close)
            pos = np.array([col_pos[a] for a in assets], dtype=np.intp)
            raw_v = np.column_stack([store.raw[k][n - 1, pos] for k in labels])
            raw = pd.DataFrame(raw_v, index=a_idx, columns=l_idx)
            if spec.normalise == "ts_zscore":  # each asset against its own history
                last_v = np.column_stack([normalised_rows(store, k, n, pos, np.array([n - 1]), spec)[0] for k in labels])
            else:  # per-day normalisers: every signal's last row at once (one row per signal)
                last_v = normalise_rows(np.ascontiguousarray(raw_v.T), spec.normalise, spec.winsor).T
            last = pd.DataFrame(last_v, index=a_idx, columns=l_idx)
        else:
            sub = data.select(assets)
            panels = {k: sig(sub) for k, sig in zip(labels, sigs, strict=True)}
            norm = normalised_panels(panels, spec)
            raw = pd.DataFrame({k: panels[k].iloc[-1] for k in labels}, index=assets, columns=labels)
            last = pd.DataFrame({k: norm[k].iloc[-1] for k in labels}, index=assets, columns=labels)
    last_na = last.isna().to_numpy()
    raw_np = raw.to_numpy(dtype="float64")
    diag: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "model": spec.model.type,
        "normalise": spec.normalise,
        "raw": {k: dict(zip(assets, _none_or_float(raw_np[:, j]), strict=True)) for j, k in enumerate(labels)},
        "missing": {a: [k for k, na in zip(labels, row, strict=True) if na] for a, row in zip(assets, last_na, strict=True) if row.any()},
    }
    use_fixed = spec.model.type == "fixed"
    if not use_fixed:
        from indexer.models.walkforward import contributions as model_contributions

        if store is not None:
            model, info = store_model(store, len(data.close), data, spec, assets,
                                      np.array([col_pos[a] for a in assets], dtype=np.intp))  # fmt: skip
        else:
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
    tot = sum(abs(s.weight) for s in spec.signals) or 1.0
    w = np.array([s.weight / tot for s in spec.signals])
    contrib = pd.DataFrame(np.nan_to_num(last.to_numpy(dtype="float64"), nan=0.0) * w, index=a_idx, columns=l_idx)
    diag.setdefault("model_status", "fixed weights")
    diag["units"] = f"weighted mean of {spec.normalise}-normalised signals (missing signal = 0)"
    diag["weights"] = {s.label: s.weight for s in spec.signals}
    scores = contrib.sum(axis=1).rename("score").astype("float64")
    return _scaled(ScoreResult(scores, contrib, diag), spec.scale)


def _scaled(res: ScoreResult, scale: float) -> ScoreResult:
    if scale == 1.0:
        return res
    diag = dict(res.diagnostics)
    diag["scale"] = scale
    if diag.get("intercept") is not None:
        diag["intercept"] = diag["intercept"] * scale
    return ScoreResult(res.scores * scale, res.contributions * scale, diag)
