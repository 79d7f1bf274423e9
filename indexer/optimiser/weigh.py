"""The optimiser's entry point for strategies: :func:`weigh` (spec + context -> weights incl. CASH).

Closed forms are computed directly; convex objectives go through the cached
cvxpy problems of :mod:`indexer.optimiser.convex`.  On failure the declared
fallback chain is tried in order and the one used is recorded in diagnostics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from indexer.exceptions import OptimisationError
from indexer.optimiser._threads import single_blas
from indexer.optimiser.closed_form import CLOSED_FORM_RAW, cap_weights, equal_weights, fixed_weights
from indexer.optimiser.context import WeighContext, WeighResult, finalise_weights
from indexer.optimiser.spec import ConstraintsSpec, OptimiserSpec

__all__ = ["weigh", "asset_caps", "closed_form"]

#: Constraints a closed form honours directly (others are met by projection).
_CLOSED_FORM_NATIVE = {"max_weight", "cash"}


def asset_caps(c: ConstraintsSpec, assets: tuple[str, ...], extra_cap: float | None = None) -> np.ndarray:
    """Per-asset upper bounds from ``max_weight``, ``per_asset`` and an objective cap."""
    caps = np.full(len(assets), 1.0 if c.max_weight is None else c.max_weight)
    for i, a in enumerate(assets):
        if a in c.per_asset:
            caps[i] = c.per_asset[a].max
    if extra_cap is not None:
        caps = np.minimum(caps, float(extra_cap))
    return caps


def _capped(raw: np.ndarray, caps: np.ndarray, c: ConstraintsSpec) -> tuple[np.ndarray, float]:
    """Invest ``1 - cash_min`` in proportion to ``raw`` under ``caps``; overflow to cash if allowed."""
    invest = 1.0 - c.cash_min
    live = raw > 0
    room = float(caps[live].sum())
    if room < invest - 1e-12 and 1.0 - room <= c.cash_max + 1e-12:
        w = np.where(live, caps, 0.0)
        return w, 1.0 - float(w.sum())
    w = cap_weights(raw, caps, invest)
    return w, 1.0 - float(w.sum())


def closed_form(spec: OptimiserSpec, ctx: WeighContext) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Weights of a closed-form objective: (asset weights, CASH, diagnostics)."""
    c = spec.constraints
    diag: dict[str, Any] = {"method": "closed_form"}
    if spec.objective == "fixed":
        w, cash = fixed_weights(ctx, spec.param("weights"))
        return w, cash, diag
    kwargs = {"power": spec.param("power")} if spec.objective == "market_cap" else {}
    raw = CLOSED_FORM_RAW[spec.objective](ctx, **kwargs)
    extra = spec.param("max_weight") if spec.objective == "market_cap" else None
    caps = asset_caps(c, ctx.assets, extra)
    if c.max_holdings is not None and c.max_holdings < int((raw > 0).sum()):
        keep = np.argsort(-raw, kind="stable")[: c.max_holdings]
        mask = np.zeros(len(raw), dtype=bool)
        mask[keep] = True
        raw = np.where(mask, raw, 0.0)
        diag["dropped_max_holdings"] = [a for a, m in zip(ctx.assets, mask) if not m]
    w, cash = _capped(raw, caps, c)
    if c.dust > 0:
        small = (w > 0) & (w < c.dust)
        if small.any():
            diag["dropped_dust"] = [a for a, s in zip(ctx.assets, small) if s]
            w, cash = _capped(np.where(small, 0.0, raw), caps, c)
    return w, cash, diag


def _fallback_weights(name: str, spec: OptimiserSpec, ctx: WeighContext) -> tuple[np.ndarray, float]:
    c = spec.constraints
    if name == "previous":
        if ctx.previous is None:
            raise OptimisationError("fallback 'previous': no previous weights")
        w, cash, gone = ctx.previous_weights()
        return w, cash + gone
    if name == "equal_weight":
        return _capped(equal_weights(ctx), np.ones(ctx.n), c)
    raw = CLOSED_FORM_RAW[name](ctx)
    return _capped(raw, asset_caps(c, ctx.assets), c)


def _failed_target(exc: OptimisationError) -> dict[str, Any]:
    """``target_return`` diagnostics when a fallback holds the weights."""
    from indexer.optimiser.target import UnreachableReturn

    if isinstance(exc, UnreachableReturn):
        return {"status": "unreachable", "max_return": exc.max_return, "held": "fallback"}
    return {"status": "failed", "held": "fallback"}


def _primary(spec: OptimiserSpec, ctx: WeighContext) -> tuple[np.ndarray, float, dict[str, Any]]:
    if spec.is_closed_form:
        w, cash, diag = closed_form(spec, ctx)
        extra = [k for k in spec.constraints.active() if k not in _CLOSED_FORM_NATIVE
                 and not (k == "turnover" and not ctx.has_holdings)]
        if extra or spec.penalties.any:
            from indexer.optimiser.convex import project

            with single_blas():
                w, cash, pdiag = project(w, cash, spec, ctx)
            diag.update(pdiag)
        return w, cash, diag
    from indexer.optimiser.convex import solve

    with single_blas():
        return solve(spec, ctx)


def weigh(spec: OptimiserSpec, ctx: WeighContext) -> WeighResult:
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
        objective, solver, status, timings and ``fallback`` (None when not used).

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
        if not spec.fallback:
            raise
        errors = [str(exc)]
        for name in spec.fallback:
            try:
                w, cash = _fallback_weights(name, spec, ctx)
            except OptimisationError as fexc:
                errors.append(f"fallback {name!r}: {fexc}")
                continue
            diag.update({"fallback": name, "error": str(exc)})
            if spec.objective == "target_return":
                diag["target_return"] = _failed_target(exc)
            break
        else:
            raise OptimisationError("; ".join(errors)) from exc
    weights = finalise_weights(w, ctx.assets, cash)
    diag["n_holdings"] = int((weights.to_numpy()[:-1] > 0).sum())
    if spec.objective == "target_return":
        from indexer.optimiser.target import report

        diag["target_return"] = report(spec, ctx, weights, diag.get("target_return", {}))
    return WeighResult(weights=weights, diagnostics=diag)

