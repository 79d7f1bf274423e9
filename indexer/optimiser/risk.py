"""Risk models: covariance of a daily returns window, annualised with 365 days.

Every model is returned in factor form ``S = G.T @ G + diag(d)`` (``G`` is
``(k, n)``, ``d >= 0``), which is positive semidefinite by construction and
lets the optimiser write the variance as ``sum_squares(G @ w) +
sum_squares(sqrt(d) * w)``, a DPP-compliant expression whose parameters are
``G`` and ``sqrt(d)``.  :func:`covariance` gives the dense matrix.

Models: ``sample``, ``ewma`` (exponential weights with a half-life in days),
``ledoit_wolf`` and ``oas`` (shrinkage towards a scaled identity, intensity
from scikit-learn), ``pca_factor`` (top ``k`` principal components plus
diagonal specific variance).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from indexer.config import DAYS_PER_YEAR
from indexer.exceptions import OptimisationError
from indexer.optimiser.spec import RiskModelSpec

__all__ = [
    "Factor",
    "sample_factor",
    "ewma_factor",
    "ledoit_wolf_factor",
    "oas_factor",
    "pca_factor",
    "factor_from_covariance",
    "psd_repair",
    "risk_factor",
    "covariance",
    "RISK_MODEL_FACTORS",
]


class Factor(NamedTuple):
    """``S = G.T @ G + diag(d)``: ``G`` shape (k, n), ``d`` shape (n,) >= 0."""

    G: np.ndarray
    d: np.ndarray

    def dense(self) -> np.ndarray:
        """Return the dense matrix ``S`` (n, n)."""
        return self.G.T @ self.G + np.diag(self.d)

    def scaled(self, c: float) -> Factor:
        """Return the factor of ``c * S`` (c >= 0)."""
        return Factor(self.G * np.sqrt(c), self.d * c)

    def reduced(self) -> Factor:
        """Return the same S with ``G`` replaced by the ``R`` of its QR decomposition (at most n rows)."""
        k, n = self.G.shape
        if k <= n:
            return self
        return Factor(np.asarray(np.linalg.qr(self.G, mode="r")), self.d)


def _centred(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype="float64")
    if X.ndim != 2 or X.shape[0] < 2:
        raise OptimisationError(f"risk model needs a (T>=2, n) returns window, got shape {X.shape}")
    return X - X.mean(axis=0)


def sample_factor(X: np.ndarray) -> Factor:
    """Sample covariance (ddof=1) of daily returns ``X`` (T, n)."""
    Xc = _centred(X)
    return Factor(Xc / np.sqrt(len(Xc) - 1), np.zeros(Xc.shape[1]))


def ewma_factor(X: np.ndarray, halflife: float = 30.0) -> Factor:
    """Exponentially weighted covariance; the newest row weighs most, weight halves every ``halflife`` rows."""
    X = np.asarray(X, dtype="float64")
    T = len(X)
    a = 0.5 ** (np.arange(T - 1, -1, -1) / float(halflife))
    a /= a.sum()
    m = a @ X
    return Factor(np.sqrt(a)[:, None] * (X - m), np.zeros(X.shape[1]))


def _shrunk(Xc: np.ndarray, delta: float) -> Factor:
    T, n = Xc.shape
    mu = float((Xc**2).sum() / (T * n))  # trace(emp_cov) / n, emp_cov = Xc'Xc / T
    return Factor(Xc * np.sqrt((1.0 - delta) / T), np.full(n, delta * mu))


#: Up to this many assets the Ledoit-Wolf intensity is scikit-learn's one-block computation, done here.
_LW_BLOCK = 1000


def ledoit_wolf_shrinkage(Xc: np.ndarray) -> float:
    """Ledoit-Wolf shrinkage intensity (0..1) of centred daily returns ``Xc`` (T, n) towards ``mu * I``.

    Below 1000 assets this is ``sklearn.covariance.ledoit_wolf_shrinkage(Xc, assume_centered=True)``
    operation for operation (scikit-learn's single block), so the intensity is the same to the last bit
    (``tests/optimiser/test_risk.py`` checks it against scikit-learn) without importing
    scikit-learn, about half a second of a cold ``indexer backtest``.  Wider panels use scikit-learn's
    blocked computation.
    """
    n_samples, n_features = Xc.shape
    if n_features == 1:
        return 0.0
    if n_features >= _LW_BLOCK:
        from sklearn.covariance import ledoit_wolf_shrinkage as sk_shrinkage

        return float(sk_shrinkage(Xc, assume_centered=True))
    X2 = Xc**2
    emp_cov_trace = np.sum(X2, axis=0) / n_samples
    mu = np.sum(emp_cov_trace) / n_features
    delta_ = 0.0 + np.sum(np.dot(Xc.T, Xc) ** 2)  # sum of the squared coefficients of <X.T, X>
    delta_ /= n_samples**2
    beta_ = 0.0 + np.sum(np.dot(X2.T, X2))  # sum of the coefficients of <X2.T, X2>
    beta = 1.0 / (n_features * n_samples) * (beta_ / n_samples - delta_)
    delta = delta_ - 2.0 * mu * emp_cov_trace.sum() + n_features * mu**2
    delta /= n_features
    beta = min(beta, delta)  # never shrink by more than 1
    return 0.0 if beta == 0 else float(beta / delta)


def ledoit_wolf_factor(X: np.ndarray) -> Factor:
    """Ledoit-Wolf shrinkage of the (biased) sample covariance towards ``mu * I`` (scikit-learn's intensity)."""
    Xc = _centred(X)
    return _shrunk(Xc, ledoit_wolf_shrinkage(Xc))


def oas_factor(X: np.ndarray) -> Factor:
    """Oracle Approximating Shrinkage towards ``mu * I`` (scikit-learn intensity)."""
    from sklearn.covariance import oas

    Xc = _centred(X)
    _, delta = oas(Xc, assume_centered=True)
    return _shrunk(Xc, float(delta))


def pca_factor(X: np.ndarray, n_factors: int = 3) -> Factor:
    """Statistical factor model: top ``n_factors`` principal components + diagonal specific variance."""
    S = sample_factor(X).dense()
    vals, vecs = np.linalg.eigh(S)
    k = min(int(n_factors), S.shape[0])
    top = np.argsort(vals)[::-1][:k]
    lam = np.clip(vals[top], 0.0, None)
    B = vecs[:, top]
    G = np.sqrt(lam)[:, None] * B.T
    resid = np.clip(np.diag(S) - (G**2).sum(axis=0), 0.0, None)
    return Factor(G, resid)


def psd_repair(S: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Nearest symmetric PSD matrix in Frobenius norm: symmetrise and clip eigenvalues at ``floor``."""
    S = np.asarray(S, dtype="float64")
    if S.ndim != 2 or S.shape[0] != S.shape[1] or not np.isfinite(S).all():
        raise OptimisationError(f"covariance must be a finite square matrix, got shape {S.shape}")
    S = (S + S.T) / 2
    vals, vecs = np.linalg.eigh(S)
    if vals.min() >= floor:
        return S
    vals = np.clip(vals, floor, None)
    return (vecs * vals) @ vecs.T


def factor_from_covariance(S: np.ndarray) -> Factor:
    """Factor form of a given covariance matrix (repaired to PSD first)."""
    vals, vecs = np.linalg.eigh(psd_repair(S))
    vals = np.clip(vals, 0.0, None)
    return Factor(np.sqrt(vals)[:, None] * vecs.T, np.zeros(len(vals)))


#: Risk model name -> factor function of (X, spec).
RISK_MODEL_FACTORS: dict[str, Callable[[np.ndarray, RiskModelSpec], Factor]] = {
    "sample": lambda X, s: sample_factor(X),
    "ewma": lambda X, s: ewma_factor(X, s.halflife),
    "ledoit_wolf": lambda X, s: ledoit_wolf_factor(X),
    "oas": lambda X, s: oas_factor(X),
    "pca_factor": lambda X, s: pca_factor(X, s.n_factors),
}


def risk_factor(X: np.ndarray, spec: RiskModelSpec | None = None) -> Factor:
    """Annualised (x365) factor form of the chosen risk model of daily returns ``X`` (T, n)."""
    spec = spec or RiskModelSpec()
    f = RISK_MODEL_FACTORS[spec.name](np.asarray(X, dtype="float64"), spec)
    if not (np.isfinite(f.G).all() and np.isfinite(f.d).all()):
        raise OptimisationError(f"risk model {spec.name!r} produced non-finite values")
    return f.scaled(DAYS_PER_YEAR)


def covariance(X: np.ndarray, spec: RiskModelSpec | None = None) -> np.ndarray:
    """Annualised (x365) dense covariance of daily returns ``X`` (T, n) under the chosen model."""
    return psd_repair(risk_factor(X, spec).dense())
