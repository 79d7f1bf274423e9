"""The ML blend's model at a decision, trained from a :class:`~indexer.signals.features.FeatureStore`.

The same training set as the whole-history path of ``score`` (stacked
``(timestamp, asset)`` rows of the normalised signals of the decision's assets,
target = forward return, demeaned across those assets for cross-sectional
normalisers), built only for the rows the walk-forward model of the refit date
uses, in the same order, and fitted by the same
:meth:`~indexer.models.walkforward.WalkForwardRegressor.fit_arrays`.  Fits are
kept per (signals, normaliser, model, assets, refit date) with the store (not
per fixed-blend weight: a sweep over those reuses the fits), so the model is
refitted only on its schedule (or when the asset set changes).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer.signals.blend import ml_target, walk_forward
from indexer.signals.normalise import normalise, normalise_rows
from indexer.signals.spec import ScoringSpec

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData
    from indexer.signals.features import FeatureStore

__all__ = ["normalised_rows", "store_model"]

_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
_MAX_MODELS = 512


def normalised_rows(store: FeatureStore, label: str, n: int, pos: np.ndarray, rows: np.ndarray, spec: ScoringSpec) -> np.ndarray:
    """Normalised values of ``label`` at row positions ``rows`` (of the first ``n``) for the assets at ``pos``."""
    if spec.normalise == "ts_zscore":  # each asset against its own expanding history
        full = normalise(pd.DataFrame(store.rows(label, n, pos)), "ts_zscore", spec.winsor).to_numpy(dtype="float64")
        return full[rows]
    return normalise_rows(store.raw[label][rows][:, pos], spec.normalise, spec.winsor)


def store_model(
    store: FeatureStore, n: int, data: MarketData, spec: ScoringSpec, assets: Sequence[str], pos: np.ndarray
) -> tuple[Any, dict[str, Any]]:
    """``(model or None, training info)`` of the walk-forward model in force at ``data``'s last bar."""
    with store.lock:
        return _store_model(store, n, data, spec, assets, pos)


def _store_model(
    store: FeatureStore, n: int, data: MarketData, spec: ScoringSpec, assets: Sequence[str], pos: np.ndarray
) -> tuple[Any, dict[str, Any]]:
    from indexer.models.walkforward import refit_date, training_mask  # scikit-learn: only for ML blends

    m = spec.model
    as_of = data.close.index[-1]
    r = refit_date(as_of, m.refit_every)
    models: OrderedDict = store.__dict__.setdefault("models", OrderedDict())
    # what the fit depends on: the signals (not their fixed-blend weights), normaliser, model, assets, refit date
    sigs = [(lab, x.name, sorted(x.params.items())) for lab, x in zip(spec.labels, spec.signals, strict=True)]
    key = (repr(sigs), spec.normalise, spec.winsor, m.model_dump_json(), tuple(assets), r)
    hit = models.get(key)
    if hit is not None:
        models.move_to_end(key)
        return hit
    wf = walk_forward(spec)
    times = store.index[:n]
    days = np.asarray((times - _EPOCH) // pd.Timedelta(days=1))
    use = training_mask(times, r, wf.purge_days, wf.train_window) & (days % max(1, int(m.sample_every)) == 0)
    rows = np.flatnonzero(use)
    A = len(assets)
    feats = np.stack([normalised_rows(store, k, n, pos, rows, spec) for k in spec.labels], axis=-1)  # (T, A, L)
    close = data.close.iloc[:, pos]
    y = ml_target(close, spec).to_numpy(dtype="float64")[rows]  # (T, A)
    t_long = times[np.repeat(rows, A)]
    fitted = wf.fit_arrays(t_long, feats.reshape(len(rows) * A, -1), y.reshape(-1), r)
    models[key] = fitted
    if len(models) > _MAX_MODELS:
        models.popitem(last=False)
    return fitted
