"""Risk models against scikit-learn / numpy, PSD repair, annualisation."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.covariance import OAS, LedoitWolf

from indexer.config import DAYS_PER_YEAR
from indexer.exceptions import OptimisationError
from indexer.optimiser import RiskModelSpec, covariance, psd_repair, risk_factor


def test_sample_and_shrinkage_match_references(window) -> None:
    X = window.to_numpy()
    assert covariance(X, RiskModelSpec(name="sample")) == pytest.approx(np.cov(X.T, ddof=1) * DAYS_PER_YEAR, rel=1e-10)
    lw = LedoitWolf().fit(X).covariance_ * DAYS_PER_YEAR
    assert covariance(X, RiskModelSpec(name="ledoit_wolf")) == pytest.approx(lw, rel=1e-9, abs=1e-14)
    oas = OAS().fit(X).covariance_ * DAYS_PER_YEAR
    assert covariance(X, RiskModelSpec(name="oas")) == pytest.approx(oas, rel=1e-9, abs=1e-14)


def test_ledoit_wolf_intensity_is_scikit_learns_to_the_bit(window) -> None:
    from sklearn.covariance import ledoit_wolf_shrinkage as sk_shrinkage

    from indexer.optimiser.risk import ledoit_wolf_shrinkage

    rng = np.random.default_rng(7)
    cases = [window.to_numpy(), window.to_numpy()[:30, :3], rng.standard_t(3, size=(90, 40)) * 0.03,
             rng.normal(size=(200, 1)), np.zeros((10, 4))]  # fmt: skip
    for X in cases:
        Xc = X - X.mean(axis=0)
        assert ledoit_wolf_shrinkage(Xc) == float(sk_shrinkage(Xc, assume_centered=True))  # exactly, not approx


def test_ewma_weights_recent_rows_more(window) -> None:
    X = window.to_numpy()
    S = covariance(X, RiskModelSpec(name="ewma", halflife=10))
    a = 0.5 ** (np.arange(len(X) - 1, -1, -1) / 10)
    a /= a.sum()
    m = a @ X
    expected = ((X - m).T * a) @ (X - m) * DAYS_PER_YEAR
    assert S == pytest.approx(expected, rel=1e-10)
    # a shock in the last row moves EWMA far more than the sample covariance
    Y = X.copy()
    Y[-1] *= 5
    d_ewma = np.trace(covariance(Y, RiskModelSpec(name="ewma", halflife=10)) - S)
    d_samp = np.trace(covariance(Y, RiskModelSpec(name="sample")) - covariance(X, RiskModelSpec(name="sample")))
    assert d_ewma > 3 * d_samp > 0


def test_pca_factor_keeps_variances_and_rank(window) -> None:
    X = window.to_numpy()
    f = risk_factor(X, RiskModelSpec(name="pca_factor", n_factors=2))
    assert f.G.shape == (2, X.shape[1])
    S = f.dense()
    assert np.diag(S) == pytest.approx(np.var(X, axis=0, ddof=1) * DAYS_PER_YEAR, rel=1e-9)
    assert np.linalg.matrix_rank(S - np.diag(f.d)) == 2


@pytest.mark.parametrize("name", ["sample", "ewma", "ledoit_wolf", "oas", "pca_factor"])
def test_every_model_is_psd_and_symmetric(window, name: str) -> None:
    S = covariance(window.to_numpy(), RiskModelSpec(name=name))
    assert np.allclose(S, S.T) and np.linalg.eigvalsh(S).min() > -1e-12


def test_psd_repair_clips_negative_eigenvalues() -> None:
    S = np.array([[1.0, 0.9, 0.7], [0.9, 1.0, -0.9], [0.7, -0.9, 1.0]])
    assert np.linalg.eigvalsh(S).min() < 0
    R = psd_repair(S)
    vals = np.linalg.eigvalsh(R)
    assert vals.min() >= -1e-12 and np.allclose(R, R.T)
    # nearest in Frobenius norm: the change equals the clipped negative eigenvalue mass
    neg = np.linalg.eigvalsh(S)
    assert np.linalg.norm(R - S) == pytest.approx(np.sqrt((neg[neg < 0] ** 2).sum()))
    with pytest.raises(OptimisationError, match="square"):
        psd_repair(np.ones((2, 3)))
