"""Closed-form weightings: market cap (optionally powered and capped), equal, inverse volatility, fixed.

Each returns raw weights over the context's assets summing to 1; :func:`cap_weights`
applies a per-asset cap by water-filling and :func:`closed_form` is the
optimiser's closed-form stage (raw weights of the spec's objective, caps,
CASH bounds, max holdings and dust).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer._typing import CASH
from indexer.exceptions import OptimisationError
from indexer.optimiser.context import WeighContext

if TYPE_CHECKING:  # pragma: no cover
    from indexer.optimiser.constraints import ConstraintsSpec
    from indexer.optimiser.spec import OptimiserSpec

__all__ = [
    "cap_weights",
    "market_cap_weights",
    "equal_weights",
    "inverse_volatility_weights",
    "fixed_weights",
    "asset_caps",
    "capped",
    "closed_form",
    "NATIVE_SETTINGS",
]


def cap_weights(raw: np.ndarray, cap: float | np.ndarray, total: float = 1.0, *, tol: float = 1e-12) -> np.ndarray:
    """Scale ``raw`` to sum ``total`` with every weight <= ``cap``; excess goes pro rata to uncapped names.

    Water-filling: names at or above the cap are fixed at it, the remaining
    budget is shared in proportion to ``raw`` among the others, repeated until
    no name breaches.  Names with raw weight 0 stay at 0.

    Raises
    ------
    OptimisationError
        When the caps cannot absorb ``total`` (sum of caps over names with
        positive raw weight < total).
    """
    raw = np.asarray(raw, dtype="float64")
    if (raw < 0).any() or not np.isfinite(raw).all():
        raise OptimisationError("raw weights must be finite and >= 0")
    caps = np.broadcast_to(np.asarray(cap, dtype="float64"), raw.shape).copy()
    live = raw > 0
    if not live.any():
        raise OptimisationError("no asset has a positive raw weight")
    room = float(caps[live].sum())
    if room < total - 1e-12:
        raise OptimisationError(
            f"cap infeasible: {int(live.sum())} assets x max_weight {float(np.max(caps[live])):.4g} = "
            f"{room:.4g} < {total:.4g} to invest; raise max_weight, add assets or allow cash"
        )
    w = np.zeros_like(raw)
    fixed = np.zeros(raw.shape, dtype=bool)
    for _ in range(len(raw) + 1):
        free = live & ~fixed
        budget = total - float(w[fixed].sum())
        if not free.any():
            break
        w[free] = raw[free] / raw[free].sum() * budget
        breach = free & (w > caps + tol)
        if not breach.any():
            break
        w[breach] = caps[breach]
        fixed |= breach
    return w


def market_cap_weights(ctx: WeighContext, power: float = 1.0) -> np.ndarray:
    """Weights proportional to ``market_cap ** power`` (1 = cap weights, 0.5 = square root)."""
    mc = ctx.series("market_cap").to_numpy()
    bad = mc <= 0
    if bad.any():
        got = {a: float(v) for a, v, b in zip(ctx.assets, mc, bad, strict=True) if b}
        raise OptimisationError(f"market cap must be > 0 for market_cap weighting; got {got}")
    raw = mc ** float(power)
    return raw / raw.sum()


def equal_weights(ctx: WeighContext) -> np.ndarray:
    """1/n for each of the n assets."""
    return np.full(ctx.n, 1.0 / ctx.n)


def inverse_volatility_weights(ctx: WeighContext) -> np.ndarray:
    """Weights proportional to 1 / standard deviation of daily returns over the window."""
    ctx.returns_matrix()  # validates presence and coverage
    assert ctx.returns is not None
    vol = ctx.returns.loc[:, list(ctx.assets)].std(ddof=1).to_numpy()
    bad = [a for a, v in zip(ctx.assets, vol, strict=True) if not np.isfinite(v) or v <= 0]
    if bad:
        raise OptimisationError(f"inverse_volatility: zero or undefined volatility for {bad}")
    raw = 1.0 / vol
    return raw / raw.sum()


def fixed_weights(ctx: WeighContext, weights: dict[str, float]) -> tuple[np.ndarray, float]:
    """Return the weights given in the strategy file; returns (asset weights, CASH weight).

    Every named asset must be eligible at this date.
    """
    w = {str(k): float(v) for k, v in weights.items()}
    missing = [a for a in w if a != CASH and a not in ctx.assets]
    if missing:
        raise OptimisationError(
            f"fixed weights name {missing}, not in the eligible universe at this date {list(ctx.assets)}"
        )
    arr = pd.Series(w).reindex(list(ctx.assets)).fillna(0.0).to_numpy()
    return arr, w.get(CASH, 0.0)


#: Constraint settings a closed form honours directly (others are met by projection).
NATIVE_SETTINGS = frozenset({"max_weight", "cash_min", "cash_max"})


def asset_caps(c: ConstraintsSpec, assets: tuple[str, ...], extra_cap: float | None = None) -> np.ndarray:
    """Per-asset upper bounds from ``max_weight``, ``per_asset`` and an objective cap."""
    caps = np.full(len(assets), 1.0 if c.max_weight is None else c.max_weight)
    for i, a in enumerate(assets):
        if a in c.per_asset:
            caps[i] = c.per_asset[a].max
    if extra_cap is not None:
        caps = np.minimum(caps, float(extra_cap))
    return caps


def capped(raw: np.ndarray, caps: np.ndarray, c: ConstraintsSpec) -> tuple[np.ndarray, float]:
    """Invest ``1 - cash_min`` in proportion to ``raw`` under ``caps``; overflow to cash if allowed."""
    invest = 1.0 - c.cash_min
    live = raw > 0
    room = float(caps[live].sum())
    if room < invest - 1e-12 and 1.0 - room <= c.cash_max + 1e-12:
        w = np.where(live, caps, 0.0)
        return w, 1.0 - float(w.sum())
    w = cap_weights(raw, caps, invest)
    return w, 1.0 - float(w.sum())


def _raw(spec: OptimiserSpec, ctx: WeighContext) -> np.ndarray:
    """Raw weights of the spec's closed-form objective, checked (one finite value >= 0 per asset)."""
    obj = spec.definition
    kwargs = {k: spec.param(k) for k in obj.params if k != "max_weight"}
    raw = np.asarray(obj.weights(ctx, **kwargs), dtype="float64").reshape(-1)  # type: ignore[misc]
    if raw.shape != (ctx.n,) or not np.isfinite(raw).all() or (raw < 0).any():
        raise OptimisationError(f"objective {obj.name!r} must return {ctx.n} finite weights >= 0 "
                                f"(one per asset of {list(ctx.assets)}), got {raw!r}")
    return raw


def closed_form(spec: OptimiserSpec, ctx: WeighContext) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Weights of a closed-form objective: (asset weights, CASH, diagnostics)."""
    c = spec.constraints
    diag: dict[str, Any] = {"method": "closed_form"}
    if spec.objective == "fixed":
        w, cash = fixed_weights(ctx, spec.param("weights"))
        return w, cash, diag
    raw = _raw(spec, ctx)
    caps = asset_caps(c, ctx.assets, spec.param("max_weight") if "max_weight" in spec.definition.params else None)
    if c.max_holdings is not None and c.max_holdings < int((raw > 0).sum()):
        keep = np.argsort(-raw, kind="stable")[: c.max_holdings]
        mask = np.zeros(len(raw), dtype=bool)
        mask[keep] = True
        raw = np.where(mask, raw, 0.0)
        diag["dropped_max_holdings"] = [a for a, m in zip(ctx.assets, mask, strict=True) if not m]
    w, cash = capped(raw, caps, c)
    if c.dust > 0:
        small = (w > 0) & (w < c.dust)
        if small.any():
            diag["dropped_dust"] = [a for a, s in zip(ctx.assets, small, strict=True) if s]
            w, cash = capped(np.where(small, 0.0, raw), caps, c)
    return w, cash, diag
