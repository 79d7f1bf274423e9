"""Deflated Sharpe ratio (Bailey & López de Prado, 2014): the raw Sharpe corrected for the number of trials.

``DSR = Φ( (SR - SR0) * sqrt(T - 1) / sqrt(1 - γ3 SR + (γ4 - 1) / 4 SR²) )`` with per-period
(daily) Sharpe ``SR``, skewness ``γ3``, kurtosis ``γ4`` (not excess) and ``T`` returns; ``SR0``
is the expected maximum Sharpe of ``N`` unskilled trials whose Sharpe estimates have variance
``V``: ``SR0 = sqrt(V) ((1 - γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e)))`` (γ: Euler-Mascheroni).
The result is a probability (0..1) that the true Sharpe exceeds ``SR0``.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

__all__ = ["expected_max_sharpe", "probabilistic_sharpe", "deflated_sharpe"]

EULER_GAMMA = 0.5772156649015329


def expected_max_sharpe(n_trials: int, var_sharpe: float) -> float:
    """Return the expected maximum per-period Sharpe among ``n_trials`` unskilled trials (0 for one trial)."""
    if n_trials <= 1 or not np.isfinite(var_sharpe) or var_sharpe <= 0:
        return 0.0
    g = EULER_GAMMA
    return float(np.sqrt(var_sharpe) * ((1 - g) * norm.ppf(1 - 1 / n_trials) + g * norm.ppf(1 - 1 / (n_trials * np.e))))


def probabilistic_sharpe(sr: float, sr0: float, n_obs: int, skew: float, kurt: float) -> float:
    """Probability that the true per-period Sharpe exceeds ``sr0`` given the estimate ``sr``."""
    if n_obs < 2 or not np.isfinite(sr):
        return float("nan")
    den = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr**2
    if not np.isfinite(den) or den <= 0:
        return float("nan")
    return float(norm.cdf((sr - sr0) * np.sqrt(n_obs - 1) / np.sqrt(den)))


def deflated_sharpe(sr: np.ndarray, n_obs: np.ndarray, skew: np.ndarray, kurt: np.ndarray) -> tuple[np.ndarray, float]:
    """DSR of every trial (arrays of per-period Sharpe, observations, skewness, kurtosis).

    Returns the DSR per trial and the benchmark ``SR0`` (per period) used for all of them.
    """
    sr = np.asarray(sr, dtype=float)
    ok = np.isfinite(sr)
    var = float(np.var(sr[ok], ddof=1)) if ok.sum() > 1 else 0.0
    sr0 = expected_max_sharpe(int(ok.sum()), var)
    out = np.array([probabilistic_sharpe(s, sr0, int(n), k3, k4) for s, n, k3, k4 in zip(sr, n_obs, skew, kurt, strict=True)])
    return out, sr0
