"""Inference for signal evidence: Newey-West (HAC) t-statistics, confidence intervals, Holm/Bonferroni.

Daily ICs against h-day forward returns overlap by ``h - 1`` days, so their
mean's standard error needs an autocorrelation-robust (HAC) estimate.  We use
the Newey-West (1987) Bartlett-kernel long-run variance with
``lags = max(h - 1, floor(4 (T/100)^(2/9)))`` and a normal approximation for
p-values and 95 % confidence intervals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["newey_west_lags", "newey_west_mean", "holm", "bonferroni"]


def newey_west_lags(n: int, horizon: int = 1) -> int:
    """Bartlett lags: at least ``horizon - 1`` (overlap of h-day returns) and the Newey-West rule of thumb."""
    return int(max(horizon - 1, np.floor(4.0 * (max(n, 1) / 100.0) ** (2.0 / 9.0))))


def newey_west_mean(x: pd.Series | np.ndarray, horizon: int = 1, *, lags: int | None = None) -> dict[str, float]:
    """Mean of ``x`` with its Newey-West standard error, t-statistic, two-sided p-value and 95 % CI.

    Parameters
    ----------
    x : observations in time order (NaN dropped), e.g. a daily IC series.
    horizon : forward-return horizon behind ``x`` in days (sets the minimum lag count).
    lags : override the Bartlett lag count.

    Returns
    -------
    dict with ``mean``, ``se``, ``t``, ``p`` (two-sided, normal), ``lo``/``hi``
    (95 % CI of the mean), ``n`` and ``lags``.  NaN entries when fewer than 10 observations.
    """
    from scipy import stats

    v = np.asarray(pd.Series(x).dropna(), dtype="float64")
    n = len(v)
    nan = {"mean": np.nan, "se": np.nan, "t": np.nan, "p": np.nan, "lo": np.nan, "hi": np.nan, "n": n, "lags": 0}
    if n < 10:
        return {**nan, "mean": float(v.mean()) if n else np.nan}
    L = newey_west_lags(n, horizon) if lags is None else int(lags)
    L = min(L, n - 1)
    e = v - v.mean()
    lrv = float(e @ e) / n
    for k in range(1, L + 1):
        lrv += 2.0 * (1.0 - k / (L + 1.0)) * float(e[k:] @ e[:-k]) / n
    se = float(np.sqrt(max(lrv, 0.0) / n))
    m = float(v.mean())
    t = m / se if se > 0 else np.nan
    p = float(2.0 * stats.norm.sf(abs(t))) if t == t else np.nan
    z = float(stats.norm.ppf(0.975))
    return {"mean": m, "se": se, "t": float(t), "p": p, "lo": m - z * se, "hi": m + z * se, "n": n, "lags": L}


def bonferroni(p: Sequence[float]) -> np.ndarray:
    """Bonferroni-adjusted p-values ``min(1, m p)`` over the non-NaN tests (NaN stays NaN)."""
    a = np.asarray(p, dtype="float64")
    m = int(np.isfinite(a).sum())
    return np.where(np.isfinite(a), np.minimum(1.0, a * m), np.nan)


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values over the non-NaN tests (NaN stays NaN)."""
    a = np.asarray(p, dtype="float64")
    out = np.full_like(a, np.nan)
    idx = np.flatnonzero(np.isfinite(a))
    m = len(idx)
    if m == 0:
        return out
    order = idx[np.argsort(a[idx], kind="stable")]
    adj = np.maximum.accumulate((m - np.arange(m)) * a[order])
    out[order] = np.minimum(1.0, adj)
    return out
