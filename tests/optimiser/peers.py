"""Peer-library helpers shared by ``tests/optimiser/test_peers.py`` and ``tests/perf/test_optimiser_perf.py``.

Both compare indexer's mean-variance weights with PyPortfolioOpt and skfolio
on the same problem; skfolio is handed the expected returns and covariance
through these fixed estimators so every library solves one problem.  Import
after ``pytest.importorskip("skfolio")``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from skfolio.measures import RiskMeasure
from skfolio.moments import BaseCovariance, BaseMu
from skfolio.optimization import MeanRisk, ObjectiveFunction
from skfolio.prior import EmpiricalPrior

__all__ = ["GivenMu", "GivenCovariance", "skfolio_weights", "pypfopt_weights"]


class GivenMu(BaseMu):
    """skfolio expected returns fixed to given values (so all libraries share one problem)."""

    def __init__(self, mu: np.ndarray | None = None) -> None:
        self.mu = mu

    def fit(self, X, y=None, **kw):  # noqa: ANN001, ANN201
        self.mu_ = np.asarray(self.mu, dtype=float)
        return self


class GivenCovariance(BaseCovariance):
    """skfolio covariance fixed to a given matrix."""

    def __init__(self, covariance: np.ndarray | None = None) -> None:
        super().__init__(nearest=False)
        self.covariance = covariance

    def fit(self, X, y=None, **kw):  # noqa: ANN001, ANN201
        self._set_covariance(np.asarray(self.covariance, dtype=float))
        return self


def skfolio_weights(
    mu: np.ndarray, S: np.ndarray, X: np.ndarray, gamma: float, max_weight: float, solver_params: dict | None = None
) -> np.ndarray:
    """skfolio ``MeanRisk`` weights maximising ``mu.w - gamma w'Sw`` with ``0 <= w <= max_weight``, ``sum(w) = 1``."""
    model = MeanRisk(
        objective_function=ObjectiveFunction.MAXIMIZE_UTILITY,
        risk_measure=RiskMeasure.VARIANCE,
        risk_aversion=gamma,
        max_weights=max_weight,
        prior_estimator=EmpiricalPrior(mu_estimator=GivenMu(mu), covariance_estimator=GivenCovariance(S)),
        solver_params=solver_params,
    )
    return np.asarray(model.fit(X).weights_)


def pypfopt_weights(mu: pd.Series, S: np.ndarray, gamma: float, max_weight: float) -> np.ndarray:
    """PyPortfolioOpt weights of the same problem (it maximises ``mu.w - delta/2 w'Sw``: ``delta = 2 gamma``)."""
    from pypfopt import EfficientFrontier

    cov = pd.DataFrame(S, index=mu.index, columns=mu.index)
    ef = EfficientFrontier(mu, cov, weight_bounds=(0.0, max_weight))
    return np.array(list(ef.max_quadratic_utility(risk_aversion=2.0 * gamma).values()))
