"""Numbers every objective and constraint reads, computed once per call from the spec and the context.

:class:`Inputs` turns a :class:`WeighContext` into arrays (risk factor, dense
covariance, expected returns, previous weights) on first use.  The
definitions in :mod:`~indexer.optimiser.objectives` and
:mod:`~indexer.optimiser.constraints` read them to build their
:class:`~indexer.optimiser.terms.Terms`; what only one definition needs is
computed there.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from indexer.config import DAYS_PER_YEAR
from indexer.exceptions import OptimisationError
from indexer.optimiser.context import WeighContext
from indexer.optimiser.risk import Factor, factor_from_covariance, psd_repair, risk_factor
from indexer.optimiser.spec import OptimiserSpec

__all__ = ["Inputs", "checked_covariance"]


def checked_covariance(
    S: np.ndarray | None, assets: tuple[str, ...], repair: str = "error", notes: dict[str, Any] | None = None
) -> np.ndarray | None:
    """Return a given covariance once it is symmetric and PSD; ``repair="nearest_psd"`` projects it (noted in ``notes``).

    Raises
    ------
    OptimisationError
        Naming the assets of the asymmetric entry or of the most negative eigenvector.
    """
    if S is None:
        return None
    scale = max(float(np.abs(np.diag(S)).max()), 1e-300)
    asym = np.abs(S - S.T)
    if asym.max() > 1e-8 * scale:
        i, j = np.unravel_index(int(np.argmax(asym)), S.shape)
        raise OptimisationError(
            f"covariance is not symmetric: [{assets[i]}, {assets[j]}] = {S[i, j]:.6g} but "
            f"[{assets[j]}, {assets[i]}] = {S[j, i]:.6g}"
        )
    vals, vecs = np.linalg.eigh((S + S.T) / 2)
    if vals.min() >= -1e-10 * scale:
        return S
    k = int(np.argmin(vals))
    worst = [assets[i] for i in np.argsort(-np.abs(vecs[:, k]))[:3]]
    if repair != "nearest_psd":
        raise OptimisationError(
            f"covariance is not positive semi-definite: smallest eigenvalue {vals[k]:.6g} "
            f"(mostly assets {worst}); fix it or pass covariance_repair='nearest_psd' to project it"
        )
    fixed = psd_repair(S)
    if notes is not None:
        notes["covariance_repair"] = {
            "method": "nearest_psd",
            "negative_eigenvalues": int((vals < 0).sum()),
            "min_eigenvalue": float(vals[k]),
            "assets": worst,
            "frobenius_change": float(np.linalg.norm(fixed - S)),
        }
    return fixed


class Inputs:
    """Lazy numeric view of ``(spec, ctx)``; ``ctx.covariance`` overrides the risk model when given."""

    def __init__(self, spec: OptimiserSpec, ctx: WeighContext) -> None:
        self.spec = spec
        self.ctx = ctx
        self.notes: dict[str, Any] = {}
        self._cov = checked_covariance(ctx.covariance_matrix(), ctx.assets, ctx.covariance_repair, self.notes)
        #: Weights to project onto the constraints (objective ``projection``).
        self.target: np.ndarray = np.zeros(ctx.n)
        self.target_cash: float = 0.0
        #: Required expected return of ``target_return`` (annual fraction); the
        #: unreachable path lowers it to the highest achievable return.
        self.required_return: float = (
            float(spec.param("required_return")) if spec.objective == "target_return" else 0.0
        )

    @property
    def n(self) -> int:
        """Number of assets."""
        return self.ctx.n

    @property
    def assets(self) -> tuple[str, ...]:
        """The assets weighed, in the order of the weight vector."""
        return self.ctx.assets

    def param(self, name: str) -> Any:
        """Parameter ``name`` of the spec's objective (its default when not given)."""
        return self.spec.param(name)

    # -- risk -----------------------------------------------------------------
    @cached_property
    def X(self) -> np.ndarray:
        """Daily returns window (T, n), missing days as 0."""
        return self.ctx.returns_matrix()

    @cached_property
    def factor(self) -> Factor:
        """The risk model in factor form ``S = G'G + diag(d)`` (annualised)."""
        if self._cov is not None:
            S = np.asarray(self._cov, dtype="float64")
            if S.shape != (self.n, self.n):
                raise OptimisationError(f"covariance has shape {S.shape}, expected {(self.n, self.n)}")
            return factor_from_covariance(S)
        return risk_factor(self.X, self.spec.risk_model)

    @cached_property
    def reduced(self) -> Factor:
        """The factor with at most n rows (QR of G), for the cvxpy problems."""
        return self.factor.reduced()

    @cached_property
    def dense_covariance(self) -> np.ndarray:
        """Annualised covariance matrix (n, n)."""
        if self._cov is not None:
            return psd_repair(np.asarray(self._cov, dtype="float64"))
        G, d = self.factor
        S = G.T @ G
        S[np.diag_indices_from(S)] += d
        return S

    @cached_property
    def sqrt_d(self) -> np.ndarray:
        """Square root of the factor's diagonal ``d``."""
        return np.sqrt(self.factor.d)

    @cached_property
    def vol(self) -> np.ndarray:
        """Annualised volatility per asset."""
        return np.sqrt((self.factor.G**2).sum(axis=0) + self.factor.d)

    @cached_property
    def scenarios(self) -> np.ndarray:
        """Daily simple returns (T, n), the scenarios of CVaR."""
        return self.X

    # -- returns --------------------------------------------------------------
    @cached_property
    def mu(self) -> np.ndarray:
        """Scores (annual fractions); historical mean x365 when the context has none."""
        if self.ctx.scores is not None:
            return self.ctx.series("scores").to_numpy()
        self.notes["expected_returns"] = "historical_mean"
        return self.X.mean(axis=0) * DAYS_PER_YEAR

    # -- previous weights -------------------------------------------------------
    @cached_property
    def previous(self) -> tuple[np.ndarray, float, float]:
        """Previous weights: (assets array, CASH, weight in assets no longer eligible)."""
        return self.ctx.previous_weights()
