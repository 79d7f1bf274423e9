"""Normalisation of signal panels: cross-sectional z-score or rank with winsorisation, or time-series z-score."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexer.exceptions import SignalError

__all__ = ["NORMALISERS", "winsorise", "cs_zscore", "zscore_rows", "cs_rank", "ts_zscore", "normalise", "normalise_rows"]

NORMALISERS = ("zscore", "rank", "ts_zscore", "none")


def _row_quantile(v: np.ndarray, q: float) -> np.ndarray:
    """Per-row linear-interpolated quantile ignoring NaN (as ``np.nanquantile``), vectorised."""
    srt = np.sort(v, axis=1)  # NaN sort last
    n = (~np.isnan(v)).sum(axis=1)
    pos = q * np.maximum(n - 1, 0)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    a = np.take_along_axis(srt, lo[:, None], axis=1)[:, 0]
    b = np.take_along_axis(srt, hi[:, None], axis=1)[:, 0]
    out = a + (b - a) * (pos - lo)
    return np.where(n > 0, out, np.nan)


def _check_winsor(q: float) -> None:
    if not 0.0 <= q < 0.5:
        raise SignalError(f"winsor must be a fraction in [0, 0.5); got {q}")


def winsorise(panel: pd.DataFrame, q: float) -> pd.DataFrame:
    """Clip each row to its ``q`` and ``1 - q`` quantiles (``q`` a fraction in [0, 0.5); 0 = no clipping)."""
    _check_winsor(q)
    if q == 0.0:
        return panel
    v = panel.to_numpy(dtype="float64")
    lo, hi = _row_quantile(v, q), _row_quantile(v, 1.0 - q)
    return pd.DataFrame(np.clip(v, lo[:, None], hi[:, None]), index=panel.index, columns=panel.columns)


def zscore_rows(values: np.ndarray, winsor: float = 0.0) -> np.ndarray:
    """:func:`cs_zscore` on a 2-D array (rows = days, columns = assets), in NumPy."""
    v = np.asarray(values, dtype="float64")
    _check_winsor(winsor)
    if winsor > 0.0:
        v = np.clip(v, _row_quantile(v, winsor)[:, None], _row_quantile(v, 1.0 - winsor)[:, None])
    ok = ~np.isnan(v)
    n = ok.sum(axis=1)
    filled = np.where(ok, v, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = filled.sum(axis=1) / n
        sd = np.sqrt(np.where(ok, (mu[:, None] - v) ** 2, 0.0).sum(axis=1) / n)
        z = (v - mu[:, None]) / np.where(sd > 0, sd, np.nan)[:, None]
    return np.where(ok & np.isnan(z), 0.0, z)


def cs_zscore(panel: pd.DataFrame, winsor: float = 0.0) -> pd.DataFrame:
    """Per row ``(x - mean) / sd`` over the assets with a value (after winsorising); 0 where sd is 0.

    Rows with fewer than 2 values give 0 for the single asset (no cross-section to compare with).
    """
    return pd.DataFrame(zscore_rows(panel.to_numpy(dtype="float64"), winsor), index=panel.index, columns=panel.columns)


def cs_rank(panel: pd.DataFrame, winsor: float = 0.0) -> pd.DataFrame:
    """Per row ranks mapped linearly to [-1, 1] (ties averaged); a lone asset gets 0.

    ``winsor`` is accepted for symmetry (ranks are insensitive to clipping).
    """
    winsorise(panel, winsor)  # validates
    r = panel.rank(axis=1, method="average")
    n = panel.notna().sum(axis=1)
    out = (r.sub(1.0).div((n - 1).where(n > 1), axis=0) * 2.0 - 1.0)
    return out.where(~(panel.notna() & out.isna()), 0.0)


def ts_zscore(panel: pd.DataFrame, winsor: float = 0.0, min_periods: int = 60) -> pd.DataFrame:
    """Each asset against its own past: ``(x_t - mean(x_<=t)) / sd(x_<=t)`` (expanding window).

    Uses only values up to t (at least ``min_periods`` of them); for one-asset
    (time-series) use such as BTC on-chain.
    With ``winsor > 0`` the z-score is clipped at the standard-normal quantile
    of ``1 - winsor`` (e.g. 0.01 -> ±2.33).
    """
    mu = panel.expanding(min_periods=min_periods).mean()
    sd = panel.expanding(min_periods=min_periods).std()
    z = (panel - mu) / sd.where(sd > 0)
    if winsor > 0:
        from scipy.stats import norm

        c = float(norm.ppf(1.0 - winsor))
        z = z.clip(-c, c)
    return z


def normalise(panel: pd.DataFrame, method: str = "zscore", winsor: float = 0.0) -> pd.DataFrame:
    """Dispatch to :data:`NORMALISERS` by name."""
    if method == "zscore":
        return cs_zscore(panel, winsor)
    if method == "rank":
        return cs_rank(panel, winsor)
    if method == "ts_zscore":
        return ts_zscore(panel, winsor)
    if method == "none":
        return panel
    raise SignalError(f"unknown normalise {method!r}; allowed: {', '.join(NORMALISERS)}")


def normalise_rows(values: np.ndarray, method: str = "zscore", winsor: float = 0.0) -> np.ndarray:
    """Apply a per-day (cross-sectional) normaliser to each row of a 2-D array on its own.

    ``ts_zscore`` needs each asset's history, not one row, and raises :class:`SignalError`.
    """
    v = np.asarray(values, dtype="float64")
    if method == "zscore":
        return zscore_rows(v, winsor)
    if method == "rank":
        return cs_rank(pd.DataFrame(v), winsor).to_numpy(dtype="float64")
    if method == "none":
        return v
    if method == "ts_zscore":
        raise SignalError("normalise_rows: ts_zscore compares each asset with its own history; normalise the panel")
    raise SignalError(f"unknown normalise {method!r}; allowed: {', '.join(NORMALISERS)}")
