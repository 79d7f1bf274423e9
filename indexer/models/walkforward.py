"""Walk-forward regression with a purge gap: the ML blend of signal features.

Samples are rows ``(timestamp s, asset)`` of a long feature frame ``X`` with
target ``y`` = the forward return over ``horizon`` bars after s.  Models are
refitted on a fixed calendar grid (every ``refit_every`` days from 1970-01-01
UTC).  The model used at time t is the one of the last grid date ``r <= t``,
trained only on samples with ``s <= r - purge`` days (and, for a rolling
window, ``s > r - purge - train_window``).  With ``purge >= horizon`` every
training target ended by r, so no prediction uses a target overlapping its
own period or the future.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import Ridge

from indexer.exceptions import SignalError

__all__ = ["ESTIMATORS", "make_estimator", "refit_date", "training_mask", "contributions", "WalkForwardRegressor"]

ESTIMATORS = ("ridge", "gbr")
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


def make_estimator(kind: str | Any, *, random_state: int = 0) -> Any:
    """``"ridge"`` -> ``Ridge(alpha=1)``, ``"gbr"`` -> a small ``GradientBoostingRegressor``, or a clone of an estimator."""
    if kind == "ridge":
        return Ridge(alpha=1.0)
    if kind == "gbr":
        return GradientBoostingRegressor(
            n_estimators=50, max_depth=2, learning_rate=0.1, subsample=0.5, min_samples_leaf=50, random_state=random_state
        )
    if hasattr(kind, "fit") and hasattr(kind, "predict"):
        return clone(kind)
    raise SignalError(f"unknown model {kind!r}; allowed: {', '.join(ESTIMATORS)} or a scikit-learn regressor")


def refit_date(t: pd.Timestamp, refit_every: int) -> pd.Timestamp:
    """Return the last refit-grid date on or before ``t`` (grid: every ``refit_every`` days from 1970-01-01 UTC)."""
    days = (pd.Timestamp(t) - _EPOCH) // pd.Timedelta(days=1)
    return _EPOCH + pd.Timedelta(days=int(days // refit_every * refit_every))


def training_mask(times: pd.DatetimeIndex | pd.Series, refit: pd.Timestamp, purge: int, train_window: int | None) -> np.ndarray:
    """Return a mask of the samples usable by the model of grid date ``refit``: ``s <= refit - purge`` (and inside the rolling window)."""
    t = pd.DatetimeIndex(times)
    end = refit - pd.Timedelta(days=purge)
    m = t <= end
    if train_window is not None:
        m &= t > end - pd.Timedelta(days=train_window)
    return np.asarray(m)


def contributions(model: Any, x: pd.DataFrame) -> pd.DataFrame:
    """Per-feature contribution to each prediction.

    Linear models: ``coef_j * x_j`` (exact; the intercept is left out).
    Others: occlusion, ``f(x) - f(x with feature j set to 0)`` (0 is the
    neutral value of a normalised signal); these need not sum to the prediction.
    """
    xv = x.to_numpy(dtype="float64")
    coef = getattr(model, "coef_", None)
    if coef is not None and np.ndim(coef) == 1 and len(coef) == xv.shape[1]:
        return pd.DataFrame(xv * np.asarray(coef)[None, :], index=x.index, columns=x.columns)
    base = model.predict(xv)
    out = np.empty_like(xv)
    for j in range(xv.shape[1]):
        z = xv.copy()
        z[:, j] = 0.0
        out[:, j] = base - model.predict(z)
    return pd.DataFrame(out, index=x.index, columns=x.columns)


class WalkForwardRegressor(BaseEstimator, RegressorMixin):
    """Walk-forward wrapper around a scikit-learn regressor (see module docstring).

    Parameters
    ----------
    estimator
        ``"ridge"``, ``"gbr"`` or an unfitted scikit-learn regressor.
    horizon
        Forward-return horizon of the target (bars = days).
    purge
        Days between the last training sample and the refit date (default ``horizon``; must be >= horizon).
    train_window
        Rolling training window in days, or ``None`` for an expanding window.
    refit_every
        Days between refits.
    min_train
        Fewest training rows for a model; earlier predictions are NaN.
    sample_every
        Use every k-th day as training sample date (speed; consecutive targets overlap anyway).

    Attributes
    ----------
    models_ : dict
        Refit date -> fitted estimator (or ``None`` when too few samples).
    folds_ : list of dict
        Per refit date: ``refit``, ``train_start``, ``train_end``, ``n_train``, ``max_target_end``.
    """

    def __init__(
        self,
        estimator: Any = "ridge",
        *,
        horizon: int = 30,
        purge: int | None = None,
        train_window: int | None = None,
        refit_every: int = 30,
        min_train: int = 200,
        sample_every: int = 1,
    ) -> None:
        self.estimator = estimator
        self.horizon = horizon
        self.purge = purge
        self.train_window = train_window
        self.refit_every = refit_every
        self.min_train = min_train
        self.sample_every = sample_every

    @property
    def purge_days(self) -> int:
        """Days dropped between training targets and the refit date (default ``horizon``; at least ``horizon``)."""
        p = self.horizon if self.purge is None else self.purge
        if p < self.horizon:
            raise SignalError(f"purge ({p}) must be >= horizon ({self.horizon}): training targets would overlap the test period")
        return int(p)

    @staticmethod
    def _times(X: pd.DataFrame) -> pd.DatetimeIndex:
        if not isinstance(X.index, pd.MultiIndex) or X.index.nlevels != 2:
            raise SignalError("walk-forward X needs a (timestamp, asset) MultiIndex")
        return pd.DatetimeIndex(X.index.get_level_values(0))

    def fit_one(self, X: pd.DataFrame, y: pd.Series, refit: pd.Timestamp) -> tuple[Any | None, dict[str, Any]]:
        """Fit the model of grid date ``refit`` from the usable rows of (X, y)."""
        return self.fit_arrays(self._times(X), X.to_numpy(dtype="float64"), y.to_numpy(dtype="float64"), refit)

    def fit_arrays(
        self, times: pd.DatetimeIndex, X: np.ndarray, y: np.ndarray, refit: pd.Timestamp
    ) -> tuple[Any | None, dict[str, Any]]:
        """Fit like :meth:`fit_one`, on arrays.

        ``times`` (sample date per row), features ``X`` (rows x features, NaN = missing, read as 0)
        and targets ``y``; rows in (timestamp, asset) order give the same fit.
        """
        days = (times - _EPOCH) // pd.Timedelta(days=1)
        m = training_mask(times, refit, self.purge_days, self.train_window)
        m &= np.asarray(days % max(1, int(self.sample_every)) == 0)
        m &= ~np.isnan(y) & ~np.isnan(X).all(axis=1)
        info: dict[str, Any] = {"refit": refit, "n_train": int(m.sum()), "train_start": None, "train_end": None, "max_target_end": None}
        if m.sum() < self.min_train:
            return None, info
        tt = times[m]
        info.update(train_start=tt.min(), train_end=tt.max(), max_target_end=tt.max() + pd.Timedelta(days=self.horizon))
        xm = X[m]
        model = make_estimator(self.estimator).fit(np.where(np.isnan(xm), 0.0, xm), y[m])
        return model, info

    def fit(self, X: pd.DataFrame, y: pd.Series) -> WalkForwardRegressor:
        """Fit one model per refit date covering ``X``'s time range; returns self."""
        times = self._times(X)
        if len(times) == 0:
            raise SignalError("walk-forward: no samples")
        grid = pd.date_range(refit_date(times.min(), self.refit_every), times.max(), freq=f"{int(self.refit_every)}D")
        self.models_: dict[pd.Timestamp, Any] = {}
        self.folds_: list[dict[str, Any]] = []
        for r in grid:
            model, info = self.fit_one(X, y, r)
            self.models_[r] = model
            self.folds_.append(info)
        return self

    def _apply(self, X: pd.DataFrame, fn: Any, width: int) -> np.ndarray:
        times = self._times(X)
        k = int(self.refit_every)
        period = np.asarray((times - _EPOCH) // pd.Timedelta(days=1)) // k
        out = np.full((len(X), width), np.nan)
        xf = X.fillna(0.0)
        for p in np.unique(period):
            model = self.models_.get(_EPOCH + pd.Timedelta(days=int(p) * k))
            if model is None:
                continue
            rows = np.flatnonzero(period == p)
            out[rows] = np.asarray(fn(model, xf.iloc[rows])).reshape(len(rows), width)
        out[~X.notna().any(axis=1).to_numpy()] = np.nan
        return out

    def predict(self, X: pd.DataFrame) -> pd.Series:
        """Out-of-sample predictions: each row by the model of its own refit date (NaN before the first model)."""
        vals = self._apply(X, lambda m, x: m.predict(x.to_numpy(dtype="float64")), 1)[:, 0]
        return pd.Series(vals, index=X.index, name="prediction")

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-feature contributions of :meth:`predict` (see :func:`contributions`)."""
        vals = self._apply(X, lambda m, x: contributions(m, x).to_numpy(), X.shape[1])
        return pd.DataFrame(vals, index=X.index, columns=X.columns)
