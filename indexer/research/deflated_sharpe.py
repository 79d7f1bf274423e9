"""Probabilistic and deflated Sharpe ratios (Bailey & Lopez de Prado, 2012 and 2014).

All Sharpe ratios here are *per period* (e.g. daily, not annualised) unless
a name says ``annual``.  ``PSR(SR*) = Phi((SR - SR*) sqrt(T - 1) /
sqrt(1 - g3 SR + (g4 - 1)/4 SR^2))`` with sample skewness ``g3`` and
(non-excess) kurtosis ``g4``.  The deflated Sharpe ratio is the PSR against the
Sharpe ratio expected from the best of ``N`` unskilled trials,
``SR0 = sqrt(V) ((1 - gamma) Z^-1(1 - 1/N) + gamma Z^-1(1 - 1/(N e)))``, where
``V`` is the variance of the trials' Sharpe ratios and ``gamma`` the
Euler-Mascheroni constant.  The formulas are those of the sweep's
:mod:`indexer.backtesting.sweep.dsr` (reused here); this module adds the Sharpe
of a return series and the DSR of one chosen configuration among trials.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from indexer.backtesting.sweep.dsr import expected_max_sharpe, probabilistic_sharpe

__all__ = ["sharpe", "probabilistic_sharpe", "expected_max_sharpe", "deflated_sharpe"]


def sharpe(returns: pd.Series | np.ndarray) -> float:
    """Per-period Sharpe ratio ``mean / sd`` (ddof 1) of simple returns (NaN dropped; NaN if sd is 0)."""
    r = np.asarray(pd.Series(returns).dropna(), dtype="float64")
    if len(r) < 2:
        return float("nan")
    sd = r.std(ddof=1)
    return float(r.mean() / sd) if sd > 0 else float("nan")


def deflated_sharpe(returns: pd.Series | np.ndarray, trial_sharpes: Sequence[float], *, n_trials: int | None = None) -> dict[str, float]:
    """Deflated Sharpe ratio of ``returns`` (the chosen configuration) given the Sharpes of every trial tried.

    Parameters
    ----------
    returns : per-period simple returns of the chosen configuration.
    trial_sharpes : per-period Sharpe ratio of each configuration tried (including the chosen one).
    n_trials : number of independent trials (default ``len(trial_sharpes)``).

    Returns
    -------
    dict with ``sr`` (per period), ``sr0`` (expected max under no skill), ``dsr``
    (probability the true Sharpe exceeds ``sr0``), ``psr0`` (PSR against 0),
    ``n`` (observations), ``n_trials``, ``skew``, ``kurtosis``.
    """
    from scipy import stats

    r = np.asarray(pd.Series(returns).dropna(), dtype="float64")
    trials = np.asarray([s for s in trial_sharpes if np.isfinite(s)], dtype="float64")
    n_tr = int(n_trials if n_trials is not None else len(trials))
    sr = sharpe(r)
    skew = float(stats.skew(r)) if len(r) > 2 else float("nan")
    kurt = float(stats.kurtosis(r, fisher=False)) if len(r) > 3 else float("nan")
    sr0 = expected_max_sharpe(n_tr, float(trials.var(ddof=1)) if len(trials) > 1 else 0.0)
    return {
        "sr": sr,
        "sr0": sr0,
        "dsr": probabilistic_sharpe(sr, sr0, len(r), skew, kurt),
        "psr0": probabilistic_sharpe(sr, 0.0, len(r), skew, kurt),
        "n": len(r),
        "n_trials": n_tr,
        "skew": skew,
        "kurtosis": kurt,
    }
