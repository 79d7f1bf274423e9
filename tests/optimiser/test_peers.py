"""Same weights as PyPortfolioOpt and skfolio on a shared mean-variance problem (real returns)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer._typing import CASH
from indexer.optimiser import RiskModelSpec, covariance, optimise

pypfopt = pytest.importorskip("pypfopt")
skfolio = pytest.importorskip("skfolio")

from optimiser.peers import pypfopt_weights, skfolio_weights  # noqa: E402

#: Tight solver tolerances so skfolio's weights are comparable to 1e-4.
TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}


@pytest.mark.parametrize("risk_model", ["ledoit_wolf", "sample"])
@pytest.mark.parametrize("gamma", [0.5, 3.0])
def test_same_weights_as_peers(window, risk_model: str, gamma: float) -> None:
    mu = pd.Series(np.linspace(0.05, 0.9, window.shape[1]), index=window.columns) + window.mean() * 365 * 0.1
    S = covariance(window.to_numpy(), RiskModelSpec(name=risk_model))
    ours = optimise(mu, window, risk_aversion=gamma, max_weight=0.2, risk_model=risk_model)
    assert ours[CASH] == 0.0
    ours = ours.drop(CASH).to_numpy()
    ppo = pypfopt_weights(mu, S, gamma, 0.2)
    skf = skfolio_weights(mu.to_numpy(), S, window.to_numpy(), gamma, 0.2, solver_params=TIGHT)
    assert np.abs(ours - ppo).max() < 1e-4
    assert np.abs(ours - skf).max() < 1e-4
