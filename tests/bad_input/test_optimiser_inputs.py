"""Optimiser inputs: non-PSD covariance rejected or repaired only on request (recorded); bad inputs name the asset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer.exceptions import OptimisationError
from indexer.optimiser import optimise, solve
from indexer.optimiser.context import WeighContext
from indexer.optimiser.spec import OptimiserSpec

RNG = np.random.default_rng(0)
R = pd.DataFrame(RNG.normal(0, 0.02, (100, 3)), columns=list("ABC"))
NON_PSD = pd.DataFrame([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]], index=list("ABC"), columns=list("ABC"), dtype=float)
ASYM = NON_PSD.copy()
ASYM.loc["A", "B"] = 0.1

CASES = {
    "non_psd": (dict(returns=R, objective="min_variance", covariance=NON_PSD), r"not positive semi-definite: smallest eigenvalue -0\.8"),
    "asymmetric": (dict(returns=R, objective="min_variance", covariance=ASYM), r"not symmetric: \[A, B\] = 0\.1 but \[B, A\] = 0\.9"),
    "mislabelled": (dict(returns=R, objective="min_variance", covariance=NON_PSD.rename(index={"C": "D"}, columns={"C": "D"})), r"no row/column for \['C'\]"),
    "nan_returns": (dict(returns=R.assign(B=np.nan), objective="min_variance"), r"fewer than 2 observations for \['B'\]"),
    "inf_returns": (dict(returns=R.assign(B=np.inf), objective="min_variance"), r"infinite values for \['B'\]"),
    "text_returns": (dict(returns=R.astype(object).assign(B="x"), objective="min_variance"), r"not numbers for \['B'\]"),
    "n_zero": (dict(scores=pd.Series(dtype=float), objective="equal_weight"), "assets is empty"),
    "ndarray_returns": (dict(returns=R.to_numpy(), objective="min_variance"), "returns must be a DataFrame"),
    "ndarray_covariance": (dict(returns=R, objective="min_variance", covariance=np.eye(3)), "covariance must be a pandas DataFrame"),
    "nan_score": (dict(scores={"A": 0.1, "B": float("nan")}, returns=R[["A", "B"]], objective="mean_variance"), r"scores is missing or not finite for \['B'\]"),
    "nan_covariance": (dict(returns=R, objective="min_variance", covariance=NON_PSD.replace(-0.9, np.nan)), r"missing or infinite values for \['B', 'C'\]"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_optimiser_input_raises_optimisation_error_naming_it(case: str) -> None:
    kwargs, pattern = CASES[case]
    with pytest.raises(OptimisationError, match=pattern):
        optimise(**kwargs)


def test_nearest_psd_repair_is_explicit_and_recorded() -> None:
    spec = OptimiserSpec(objective="min_variance")
    ctx = WeighContext(assets=("A", "B", "C"), returns=R, covariance=NON_PSD, covariance_repair="nearest_psd")
    res = solve(spec, ctx)
    rep = res.diagnostics["covariance_repair"]
    assert rep["method"] == "nearest_psd" and rep["negative_eigenvalues"] == 1
    assert rep["min_eigenvalue"] == pytest.approx(-0.8)
    assert rep["frobenius_change"] > 0.5
    assert res.weights.sum() == pytest.approx(1.0)
    # A PSD covariance passes unchanged and records no repair.
    ok = solve(spec, WeighContext(assets=("A", "B", "C"), returns=R, covariance=R.cov() * 365))
    assert "covariance_repair" not in ok.diagnostics
