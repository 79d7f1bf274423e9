"""Numbers the cvxpy problems need, computed once per call from the spec and the context.

:class:`Inputs` turns a :class:`WeighContext` into arrays (risk factor,
expected returns, bounds, theme membership...) on first use; the problem
builder reads shapes from it and the solver copies values into the cached
problem's parameters.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from indexer.config import DAYS_PER_YEAR
from indexer.exceptions import OptimisationError
from indexer.optimiser.closed_form import equal_weights, market_cap_weights
from indexer.optimiser.context import WeighContext
from indexer.optimiser.risk import Factor, factor_from_covariance, psd_repair, risk_factor
from indexer.optimiser.spec import OptimiserSpec

__all__ = ["Inputs", "checked_covariance"]


def checked_covariance(
    S: np.ndarray | None, assets: tuple[str, ...], repair: str = "error", notes: dict[str, Any] | None = None
) -> np.ndarray | None:
    """A given covariance once it is symmetric and PSD; ``repair="nearest_psd"`` projects it (noted in ``notes``).

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
        return self.ctx.n

    # -- risk -----------------------------------------------------------------
    @cached_property
    def X(self) -> np.ndarray:
        """Daily returns window (T, n), missing days as 0."""
        return self.ctx.returns_matrix()

    @cached_property
    def factor(self) -> Factor:
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

    @cached_property
    def excess_mu(self) -> np.ndarray:
        ex = self.mu - float(self.spec.param("risk_free"))
        if not (ex > 0).any():
            raise OptimisationError("max_sharpe: no asset has an expected return above risk_free")
        return ex

    # -- previous weights -------------------------------------------------------
    @cached_property
    def previous(self) -> tuple[np.ndarray, float, float]:
        return self.ctx.previous_weights()

    @cached_property
    def cost(self) -> np.ndarray:
        tc = self.spec.penalties.transaction_cost
        if isinstance(tc, dict):
            return np.array([float(tc.get(a, self.spec.penalties.default_cost)) for a in self.ctx.assets])
        return np.full(self.n, float(tc))

    # -- bounds and groups ------------------------------------------------------
    @cached_property
    def lower(self) -> np.ndarray:
        c = self.spec.constraints
        lo = np.full(self.n, c.min_weight)
        for i, a in enumerate(self.ctx.assets):
            if a in c.per_asset:
                lo[i] = c.per_asset[a].min
        return lo

    @cached_property
    def upper(self) -> np.ndarray:
        c = self.spec.constraints
        hi = np.full(self.n, 1.0 if c.max_weight is None else c.max_weight)
        for i, a in enumerate(self.ctx.assets):
            if a in c.per_asset:
                hi[i] = c.per_asset[a].max
        return hi

    @cached_property
    def liquidity_upper(self) -> np.ndarray:
        """k x ADV / portfolio value per asset (capped at 1)."""
        k = self.spec.constraints.liquidity
        value = self.ctx.portfolio_value
        if value is None or value <= 0:
            raise OptimisationError("liquidity constraint needs WeighContext.portfolio_value > 0 (USD)")
        adv = self.ctx.series("volume").to_numpy()
        return np.minimum(float(k) * np.clip(adv, 0.0, None) / float(value), 1.0)

    @cached_property
    def themes(self) -> list[str]:
        return sorted(self.spec.constraints.theme_caps)

    @cached_property
    def theme_matrix(self) -> np.ndarray:
        """(m, n) 0/1 membership of each capped theme (registry theme or kind)."""
        reg = self.ctx.registry
        if reg is None:
            raise OptimisationError("theme_caps need WeighContext.registry (the asset registry)")
        m = np.zeros((len(self.themes), self.n))
        for j, t in enumerate(self.themes):
            members = set(reg.with_theme(t))
            m[j] = [a in members for a in self.ctx.assets]
        return m

    @cached_property
    def theme_caps(self) -> np.ndarray:
        return np.array([self.spec.constraints.theme_caps[t] for t in self.themes])

    @cached_property
    def stable(self) -> np.ndarray:
        """1 for registry stablecoins (they count with CASH), else 0."""
        reg = self.ctx.registry
        if reg is None:
            return np.zeros(self.n)
        return np.array([reg.kind(a) == "stablecoin" for a in self.ctx.assets], dtype="float64")

    # -- benchmark ----------------------------------------------------------------
    @cached_property
    def benchmark(self) -> np.ndarray:
        """Benchmark weights for tracking error: ctx.benchmark, else the ``benchmark`` param."""
        if self.ctx.benchmark is not None:
            b = self.ctx.series("benchmark").to_numpy()
        else:
            which = self.spec.param("benchmark") if self.spec.objective == "min_tracking_error" else "market_cap"
            if isinstance(which, dict):
                b = np.array([float(which.get(a, 0.0)) for a in self.ctx.assets])
            elif which == "market_cap":
                b = market_cap_weights(self.ctx)
            elif which == "equal_weight":
                b = equal_weights(self.ctx)
            else:
                raise OptimisationError(
                    f"min_tracking_error benchmark {which!r}: use market_cap, equal_weight or a weights mapping"
                )
        if (b < 0).any() or b.sum() <= 0:
            raise OptimisationError("benchmark weights must be >= 0 with a positive sum")
        return b / b.sum()
