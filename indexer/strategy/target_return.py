"""Target-return mode: the least risky portfolio whose expected return meets a requirement.

The optimiser's ``mean_variance`` objective maximises ``mu . w - lambda * w'Sw``;
as ``lambda`` grows its solutions walk down the efficient frontier (with a CASH
line allowed, towards cash).  The expected return ``mu . w(lambda)`` falls as
``lambda`` rises, so a bisection on ``log(lambda)`` finds the frontier point with
``mu . w = required_return``: the minimum-variance portfolio for that return.
The optimiser is used as a black box; each step re-solves its cached problem.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from indexer._typing import CASH
from indexer.config import DAYS_PER_YEAR
from indexer.optimiser import OptimiserSpec, WeighContext, WeighResult, weigh

__all__ = ["TargetReturnSpec", "weigh_for_return", "historical_mean_returns"]


class TargetReturnSpec(BaseModel):
    """The ``target_return:`` block of a strategy file.

    Attributes
    ----------
    required_return
        Required expected return, annual fraction (0.3 = 30% a year).
    expected_returns
        ``historical``: annualised mean daily return of the estimation window
        (x365); ``scores``: the signals' scores times ``score_scale``.
    score_scale
        Factor turning scores into annual fractions (e.g. 365/30 for 30-day
        return predictions).
    lambda_min, lambda_max
        Bracket of the risk-aversion search.
    tolerance
        Stop when the expected return is within this of the requirement.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    required_return: float = Field(gt=-1.0, le=100.0)
    expected_returns: Literal["historical", "scores"] = "historical"
    score_scale: float = Field(1.0, gt=0.0)
    lambda_min: float = Field(1e-3, gt=0.0)
    lambda_max: float = Field(1e3, gt=0.0)
    tolerance: float = Field(1e-3, gt=0.0)
    max_iter: int = Field(30, ge=1, le=200)


def historical_mean_returns(returns: pd.DataFrame) -> pd.Series:
    """Annualised mean of daily simple returns (fractions, x365), NaN days ignored."""
    return returns.mean(skipna=True) * DAYS_PER_YEAR


def _solve(spec: OptimiserSpec, ctx: WeighContext, lam: float) -> WeighResult:
    params = {**spec.params, "risk_aversion": float(lam)}
    return weigh(spec.model_copy(update={"params": params}), ctx)


def _expected(w: pd.Series, mu: pd.Series) -> float:
    return float((w.drop(CASH, errors="ignore") * mu.reindex(w.index.drop(CASH, errors="ignore")).fillna(0.0)).sum())


def weigh_for_return(spec: OptimiserSpec, ctx: WeighContext, tr: TargetReturnSpec) -> WeighResult:
    """Minimum-risk weights with expected return >= ``tr.required_return`` (see module docstring).

    ``ctx.scores`` must hold the annual expected returns.  When the requirement
    is above what the frontier offers, the highest-return solution (``lambda_min``)
    is returned; when even the least risky one (``lambda_max``) meets it, that one.
    ``diagnostics["target_return"]`` records the search.
    """
    mu = pd.Series(ctx.scores, dtype="float64")
    lo, hi = math.log(tr.lambda_min), math.log(tr.lambda_max)
    r_lo = _solve(spec, ctx, tr.lambda_min)
    e_lo = _expected(r_lo.weights, mu)
    info: dict[str, Any] = {"required_return": tr.required_return, "expected_returns": tr.expected_returns}
    if e_lo < tr.required_return:
        info.update(status="unreachable", risk_aversion=tr.lambda_min, expected_return=e_lo, iterations=1)
        return WeighResult(r_lo.weights, {**r_lo.diagnostics, "target_return": info})
    r_hi = _solve(spec, ctx, tr.lambda_max)
    e_hi = _expected(r_hi.weights, mu)
    if e_hi >= tr.required_return:
        info.update(status="met_by_least_risky", risk_aversion=tr.lambda_max, expected_return=e_hi, iterations=2)
        return WeighResult(r_hi.weights, {**r_hi.diagnostics, "target_return": info})
    best, best_e, best_lam = r_lo, e_lo, tr.lambda_min
    it = 2
    for it in range(3, tr.max_iter + 3):
        mid = 0.5 * (lo + hi)
        res = _solve(spec, ctx, math.exp(mid))
        e = _expected(res.weights, mu)
        if e >= tr.required_return:
            lo, best, best_e, best_lam = mid, res, e, math.exp(mid)  # feasible: try more risk aversion
            if e - tr.required_return <= tr.tolerance:
                break
        else:
            hi = mid
        if hi - lo < 1e-6:
            break
    risk = None
    if ctx.returns is not None:
        w = best.weights.drop(CASH, errors="ignore")
        port = ctx.returns[list(w.index)].fillna(0.0).to_numpy() @ w.to_numpy()
        risk = float(np.std(port, ddof=1) * math.sqrt(DAYS_PER_YEAR)) if len(port) > 1 else None
    info.update(status="met", risk_aversion=best_lam, expected_return=best_e, iterations=it, window_volatility=risk)
    return WeighResult(best.weights, {**best.diagnostics, "target_return": info})
