"""Same weights as PyPortfolioOpt and skfolio on a shared mean-variance problem (real returns)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer._typing import CASH
from indexer.optimiser import RiskModelSpec, covariance, optimise

pypfopt = pytest.importorskip("pypfopt")
skfolio = pytest.importorskip("skfolio")

from skfolio.measures import RiskMeasure  # noqa: E402
from skfolio.moments import BaseCovariance, BaseMu  # noqa: E402
from skfolio.optimization import MeanRisk, ObjectiveFunction  # noqa: E402
from skfolio.prior import EmpiricalPrior  # noqa: E402


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


def skfolio_weights(mu: np.ndarray, S: np.ndarray, X: np.ndarray, gamma: float, max_weight: float) -> np.ndarray:
    model = MeanRisk(
        objective_function=ObjectiveFunction.MAXIMIZE_UTILITY,
        risk_measure=RiskMeasure.VARIANCE,
        risk_aversion=gamma,
        max_weights=max_weight,
        prior_estimator=EmpiricalPrior(mu_estimator=GivenMu(mu), covariance_estimator=GivenCovariance(S)),
        solver_params={"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10},
    )
    return np.asarray(model.fit(X).weights_)


def pypfopt_weights(mu: pd.Series, S: np.ndarray, gamma: float, max_weight: float) -> np.ndarray:
    from pypfopt import EfficientFrontier

    cov = pd.DataFrame(S, index=mu.index, columns=mu.index)
    ef = EfficientFrontier(mu, cov, weight_bounds=(0.0, max_weight))
    # PyPortfolioOpt maximises mu.w - delta/2 w'Sw: delta = 2 * our risk_aversion
    return np.array(list(ef.max_quadratic_utility(risk_aversion=2.0 * gamma).values()))


@pytest.mark.parametrize("risk_model", ["ledoit_wolf", "sample"])
@pytest.mark.parametrize("gamma", [0.5, 3.0])
def test_same_weights_as_peers(window, risk_model: str, gamma: float) -> None:
    mu = pd.Series(np.linspace(0.05, 0.9, window.shape[1]), index=window.columns) + window.mean() * 365 * 0.1
    S = covariance(window.to_numpy(), RiskModelSpec(name=risk_model))
    ours = optimise(mu, window, risk_aversion=gamma, max_weight=0.2, risk_model=risk_model)
    assert ours[CASH] == 0.0
    ours = ours.drop(CASH).to_numpy()
    ppo = pypfopt_weights(mu, S, gamma, 0.2)
    skf = skfolio_weights(mu.to_numpy(), S, window.to_numpy(), gamma, 0.2)
    assert np.abs(ours - ppo).max() < 1e-4
    assert np.abs(ours - skf).max() < 1e-4
