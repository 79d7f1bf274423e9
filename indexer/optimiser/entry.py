"""The optimiser's entry point :func:`optimise` and the strategy stage :func:`solve` behind it.

* :func:`optimise` (``indexer.optimise``): weights from data, e.g. in a
  notebook.  It builds the settings (:class:`~indexer.optimiser.spec.OptimiserSpec`)
  and the point-in-time inputs (:class:`~indexer.optimiser.context.WeighContext`)
  from its arguments, or takes them as ``spec=`` / ``context=``, and returns the
  weights.
* :func:`solve`: a validated spec applied to a context, returning weights *and*
  diagnostics (:class:`~indexer.optimiser.context.WeighResult`); what a
  strategy calls once per decision.  Closed forms are computed directly,
  convex objectives go through :mod:`~indexer.optimiser.convex`; on failure the
  declared fallback chain is tried in order and the one used is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any

import pandas as pd
from pydantic import ValidationError

from indexer._typing import CASH
from indexer.exceptions import ConfigError, OptimisationError
from indexer.optimiser._threads import single_blas
from indexer.optimiser.closed_form import NATIVE_SETTINGS, closed_form
from indexer.optimiser.constraints import ConstraintsSpec
from indexer.optimiser.context import WeighContext, WeighResult, finalise_weights
from indexer.optimiser.fallback import failed_target, fallback_weights
from indexer.optimiser.spec import OptimiserSpec

__all__ = ["optimise", "solve"]

#: ``optimise`` keywords that are fields of the spec, of its constraints, of the context.
_SPEC_OPTIONS = ("params", "risk_model", "constraints", "penalties", "fallback", "solver")
_CONSTRAINT_OPTIONS = tuple(ConstraintsSpec.model_fields)
_CONTEXT_OPTIONS = tuple(f.name for f in fields(WeighContext) if f.init and f.name not in ("returns", "scores"))


# -- the strategy stage ----------------------------------------------------------------------------------------
def solve(spec: OptimiserSpec, ctx: WeighContext) -> WeighResult:
    """Target weights for ``ctx`` under ``spec``: long-only, summing to 1 including CASH.

    Parameters
    ----------
    spec
        Objective, parameters, risk model, constraints, penalties, fallback chain.
    ctx
        Point-in-time inputs (assets, returns window, scores, caps, previous weights...).

    Returns
    -------
    WeighResult
        ``weights`` indexed by ``ctx.assets`` + ``CASH``; ``diagnostics`` with the
        objective, engine, solver, status, timings, constraints and ``fallback``
        (None when not used).

    Raises
    ------
    OptimisationError
        When the problem is infeasible or the solver fails and no fallback
        succeeds; the message names the constraint(s) to blame.
    """
    diag: dict[str, Any] = {"objective": spec.objective, "fallback": None}
    try:
        w, cash, d = _primary(spec, ctx)
        diag.update(d)
    except OptimisationError as exc:
        w, cash = _fall_back(spec, ctx, exc, diag)
    weights = finalise_weights(w, ctx.assets, cash)
    diag["n_holdings"] = int((weights.to_numpy()[:-1] > 0).sum())
    if spec.objective == "target_return":
        from indexer.optimiser.target import report

        diag["target_return"] = report(spec, ctx, weights, diag.get("target_return", {}))
    return WeighResult(weights=weights, diagnostics=diag)


def _primary(spec: OptimiserSpec, ctx: WeighContext) -> tuple[Any, float, dict[str, Any]]:
    """Return the objective's weights: a closed form (projected onto constraints it cannot honour) or a convex solve."""
    if spec.is_closed_form:
        w, cash, diag = closed_form(spec, ctx)
        extra = [k for k in spec.constraints.active() if k not in NATIVE_SETTINGS
                 and not (k == "turnover" and not ctx.has_holdings)]
        if extra or spec.penalties.any:
            from indexer.optimiser.convex import project

            with single_blas():
                w, cash, pdiag = project(w, cash, spec, ctx)
            diag.update(pdiag)
        return w, cash, diag
    from indexer.optimiser.convex import solve_convex

    with single_blas():
        return solve_convex(spec, ctx)


def _fall_back(spec: OptimiserSpec, ctx: WeighContext, exc: OptimisationError,
               diag: dict[str, Any]) -> tuple[Any, float]:
    """Return the first fallback that works (recorded in ``diag``); re-raise with every error when none does."""
    if not spec.fallback:
        raise exc
    errors = [str(exc)]
    for name in spec.fallback:
        try:
            w, cash = fallback_weights(name, spec, ctx)
        except OptimisationError as fexc:
            errors.append(f"fallback {name!r}: {fexc}")
            continue
        diag.update({"fallback": name, "error": str(exc)})
        if spec.objective == "target_return":
            diag["target_return"] = failed_target(exc)
        return w, cash
    raise OptimisationError("; ".join(errors)) from exc


# -- the entry point -------------------------------------------------------------------------------------------
def optimise(
    scores: pd.Series | Mapping[str, float] | None = None,
    returns: pd.DataFrame | None = None,
    objective: str | None = None,
    *,
    spec: OptimiserSpec | Mapping[str, Any] | None = None,
    context: WeighContext | None = None,
    add_constraints: Callable[..., Any] | Sequence[Callable[..., Any]] = (),
    **options: Any,
) -> pd.Series:
    """Target weights (incl. ``CASH``) for one decision, e.g. in a notebook.

    Parameters
    ----------
    scores
        Expected-return-like scores by asset (annual fractions for
        ``mean_variance`` / ``max_sharpe`` / ``target_return``; historical mean when omitted).
    returns
        Window of daily simple returns (rows UTC days, columns assets).
    objective
        A registered objective (:func:`~indexer.optimiser.objectives.objective_names`);
        default ``spec``'s, else ``mean_variance``.
    spec
        The settings as an :class:`OptimiserSpec` or the mapping of a strategy
        file's ``optimiser:`` section; ``options`` override it.
    context
        The inputs as a :class:`WeighContext` (instead of ``scores``, ``returns``
        and the input options).
    add_constraints
        Callable(s) ``fn(w, ctx) -> cvxpy constraint(s)``: ``w`` the weight
        variable, ``ctx`` the :class:`~indexer.optimiser.cvxpy_problem.ProblemContext`
        (``ctx.weight("BTC")``, ``ctx.members("defi")``, ``ctx.inputs``...).
        Solved by cvxpy; linear rows given as data (``linear=``) also run on
        the fast back ends.
    **options
        By name: inputs (``assets``, ``market_cap``, ``volume``, ``previous``,
        ``registry``, ``portfolio_value``, ``benchmark`` as a Series,
        ``covariance``, ``covariance_repair``); settings (``risk_model``,
        ``constraints``, ``penalties``, ``fallback``, ``solver``); any
        constraint (``max_weight``, ``min_weight``, ``turnover``, ``linear``
        as a list of ``{assets | group, min, max}`` or ``(A, b)`` for
        ``A w <= b``...); the rest are objective parameters (``risk_aversion``,
        ``alpha``, ``risk_free``, ``budgets``, ``required_return``...).

    Returns
    -------
    pd.Series
        Weights by asset plus ``CASH``, each >= 0, summing to 1.

    Raises
    ------
    ConfigError
        Unknown objective, parameter or constraint, a linear constraint naming
        an asset not among the assets, or a malformed one (the message names the field).
    OptimisationError
        Infeasible or failed problem (names the constraints to blame), bad inputs (names the asset).
    """
    inputs = {k: options.pop(k) for k in _CONTEXT_OPTIONS if k in options and not _is_benchmark_param(k, options[k])}
    settings = _spec_from(objective, spec, add_constraints, options)
    ctx = _context_from(scores, returns, context, inputs)
    _check_linear_assets(settings, ctx)
    return solve(settings, ctx).weights


def _context_from(scores: Any, returns: Any, context: WeighContext | None, given: dict[str, Any]) -> WeighContext:
    """Return the context given, or built from ``scores``, ``returns`` and the input options ``given``."""
    if context is not None:
        if scores is not None or returns is not None or given:
            raise ConfigError("optimise(): give context= or the inputs (scores, returns, "
                              f"{', '.join(sorted(given)) or 'assets...'}), not both")
        return context
    scores, market_cap = _as_series(scores, "scores"), _as_series(given.pop("market_cap", None), "market_cap")
    if returns is not None and not isinstance(returns, pd.DataFrame):
        raise OptimisationError(f"optimise(): returns must be a DataFrame (rows days, columns assets), got {type(returns).__name__}")
    assets = given.pop("assets", None)
    if assets is None:
        source = next((s for s in (scores, returns, market_cap) if s is not None), None)
        if source is None:
            raise ConfigError("optimise(): give scores, returns, market_cap or assets")
        assets = list(source.index if isinstance(source, pd.Series) else source.columns)
    return WeighContext(assets=tuple(assets), returns=returns, scores=scores, market_cap=market_cap, **given)


def _is_benchmark_param(key: str, value: Any) -> bool:
    """``benchmark`` is the context's weights when a Series, else the ``min_tracking_error`` parameter."""
    return key == "benchmark" and value is not None and not isinstance(value, pd.Series)


def _spec_from(objective: str | None, spec: OptimiserSpec | Mapping[str, Any] | None,
               add_constraints: Any, options: dict[str, Any]) -> OptimiserSpec:
    """``spec`` (or the defaults) with ``objective``, ``add_constraints`` and the remaining options applied."""
    base: dict[str, Any] = dict(spec.model_dump() if isinstance(spec, OptimiserSpec) else (spec or {}))
    if objective is not None or "objective" not in base:
        if objective is not None and objective != base.get("objective"):
            base["params"] = {}  # another objective's parameters do not carry over
        base["objective"] = objective or "mean_variance"
    for key in _SPEC_OPTIONS:
        if key in options:
            value = options.pop(key)
            base[key] = value if isinstance(value, str) or value is None else (
                dict(value) if isinstance(value, Mapping) else list(value))
    cons = dict(base.get("constraints") or {})
    cons.update({k: options.pop(k) for k in _CONSTRAINT_OPTIONS if k in options})
    extra = [add_constraints] if callable(add_constraints) else list(add_constraints)
    if extra:
        cons["custom"] = [*(cons.get("custom") or []), *extra]
    base["constraints"] = cons
    base["params"] = {**(base.get("params") or {}), **options}  # what is left: objective parameters
    try:
        return OptimiserSpec(**base)
    except ValidationError as exc:
        hint = ""
        if options:
            hint = (f" (optimise() also takes inputs {', '.join(_CONTEXT_OPTIONS)}; settings "
                    f"{', '.join(_SPEC_OPTIONS)}; constraints {', '.join(_CONSTRAINT_OPTIONS)})")
        raise ConfigError(f"optimise(): {_problems(exc)}{hint}") from exc


def _problems(exc: ValidationError) -> str:
    """``field.path: message`` for each error of ``exc``, on one line."""
    out = []
    for err in exc.errors():
        path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err.get("loc", ())).replace(".[", "[")
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        out.append(f"{path}: {msg}" if path else msg)
    return "; ".join(out)


def _check_linear_assets(spec: OptimiserSpec, ctx: WeighContext) -> None:
    """Every asset a linear constraint names is among the assets (or CASH)."""
    known = set(ctx.assets)
    for r, lc in enumerate(spec.constraints.linear):
        unknown = [a for a in (lc.assets or {}) if a not in known and a.upper() != CASH]
        if unknown:
            raise ConfigError(f"optimise(): constraints.linear[{r}] ({lc.label()}) names {unknown}, "
                              f"not among the assets {list(ctx.assets)}")


def _as_series(v: Any, name: str) -> pd.Series | None:
    """Return a Series from a Series or mapping asset -> number; ``OptimisationError`` otherwise."""
    if v is None or isinstance(v, pd.Series):
        return v
    if isinstance(v, Mapping):
        return pd.Series(dict(v), dtype="float64") if v else pd.Series(dtype="float64")
    raise OptimisationError(f"optimise(): {name} must be a Series or mapping asset -> number, got {type(v).__name__}")
