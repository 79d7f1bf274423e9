"""``indexer.optimise``: the one-call functional entry point for notebooks."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd
from pydantic import ValidationError

from indexer.exceptions import ConfigError, OptimisationError
from indexer.optimiser.context import WeighContext
from indexer.optimiser.spec import OptimiserSpec
from indexer.optimiser.weigh import weigh

__all__ = ["optimise"]


def optimise(
    scores: pd.Series | None = None,
    returns: pd.DataFrame | None = None,
    objective: str = "mean_variance",
    *,
    risk_aversion: float | None = None,
    max_weight: float | None = None,
    min_weight: float = 0.0,
    previous: pd.Series | None = None,
    risk_model: str | Mapping[str, Any] = "ledoit_wolf",
    covariance: pd.DataFrame | None = None,
    market_cap: pd.Series | None = None,
    volume: pd.Series | None = None,
    benchmark: pd.Series | None = None,
    registry: Any = None,
    portfolio_value: float | None = None,
    assets: Sequence[str] | None = None,
    constraints: Mapping[str, Any] | None = None,
    penalties: Mapping[str, Any] | None = None,
    fallback: Sequence[str] = (),
    solver: str = "auto",
    covariance_repair: str = "error",
    **params: Any,
) -> pd.Series:
    """Target weights (incl. ``CASH``) for one decision, e.g. in a notebook.

    Parameters
    ----------
    scores
        Expected-return-like scores by asset (annual fractions for
        ``mean_variance`` / ``max_sharpe``; historical mean when omitted).
    returns
        Window of daily simple returns (rows UTC days, columns assets).
    objective
        One of :data:`indexer.optimiser.OBJECTIVES`.
    risk_aversion
        For ``mean_variance``: maximise ``scores.w - risk_aversion * w'Sw``.
    max_weight, min_weight
        Per-asset bounds (fractions).
    previous
        Weights held before (incl. CASH), for turnover limits and penalties.
    risk_model
        ``sample``, ``ewma``, ``ledoit_wolf``, ``oas`` or ``pca_factor`` (or a
        mapping with ``name``, ``halflife``, ``n_factors``).
    covariance
        Annualised covariance to use instead of ``risk_model`` (symmetric, PSD).
    covariance_repair
        ``"error"`` (default) rejects a covariance with negative eigenvalues;
        ``"nearest_psd"`` projects it and records the repair in the diagnostics.
    assets
        Eligible assets (default: the index of ``scores``, else the columns of
        ``returns``, else the index of ``market_cap``).
    constraints, penalties, fallback, solver
        As in the ``optimiser`` section of a strategy file.
    **params
        Further objective parameters (``alpha``, ``risk_free``, ``power``,
        ``weights``, ``budgets``, ``benchmark`` name).

    Returns
    -------
    pd.Series
        Weights by asset plus ``CASH``, each >= 0, summing to 1.

    Raises
    ------
    ConfigError
        Unknown objective, parameter or constraint (the message lists allowed names).
    OptimisationError
        Infeasible or failed problem (names the constraints to blame).
    """
    if risk_aversion is not None:
        params["risk_aversion"] = risk_aversion
    cons = dict(constraints or {})
    if max_weight is not None:
        cons["max_weight"] = max_weight
    if min_weight:
        cons["min_weight"] = min_weight
    try:
        spec = OptimiserSpec(
            objective=objective,
            params=params,
            risk_model=risk_model if isinstance(risk_model, str) else dict(risk_model),
            constraints=cons,
            penalties=dict(penalties or {}),
            fallback=list(fallback),
            solver=solver,
        )
    except ValidationError as exc:
        raise ConfigError(f"optimise(): {exc}") from exc
    scores, market_cap = _as_series(scores, "scores"), _as_series(market_cap, "market_cap")
    if returns is not None and not isinstance(returns, pd.DataFrame):
        raise OptimisationError(f"optimise(): returns must be a DataFrame (rows days, columns assets), got {type(returns).__name__}")
    if assets is None:
        for source in (scores, returns, market_cap):
            if source is not None:
                assets = list(source.index if isinstance(source, pd.Series) else source.columns)
                break
        else:
            raise ConfigError("optimise(): give scores, returns, market_cap or assets")
    ctx = WeighContext(
        assets=tuple(assets),
        returns=returns,
        scores=scores,
        market_cap=market_cap,
        volume=volume,
        previous=previous,
        registry=registry,
        portfolio_value=portfolio_value,
        benchmark=benchmark,
        covariance=covariance,
        covariance_repair=covariance_repair,
    )
    return weigh(spec, ctx).weights


def _as_series(v: Any, name: str) -> pd.Series | None:
    """A Series from a Series or mapping asset -> number; ``OptimisationError`` otherwise."""
    if v is None or isinstance(v, pd.Series):
        return v
    if isinstance(v, Mapping):
        return pd.Series(dict(v), dtype="float64") if v else pd.Series(dtype="float64")
    raise OptimisationError(f"optimise(): {name} must be a Series or mapping asset -> number, got {type(v).__name__}")
