"""The fallback chain: weights used when the objective fails (``fallback: [previous, equal_weight, ...]``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from indexer.exceptions import OptimisationError
from indexer.optimiser.closed_form import asset_caps, capped, equal_weights
from indexer.optimiser.context import WeighContext
from indexer.optimiser.objectives import objective
from indexer.optimiser.spec import OptimiserSpec

__all__ = ["fallback_weights", "failed_target"]


def fallback_weights(name: str, spec: OptimiserSpec, ctx: WeighContext) -> tuple[np.ndarray, float]:
    """Weights and CASH of fallback ``name``: ``previous`` (assets that left go to CASH) or a closed form under the caps."""
    c = spec.constraints
    if name == "previous":
        if ctx.previous is None:
            raise OptimisationError("fallback 'previous': no previous weights")
        w, cash, gone = ctx.previous_weights()
        return w, cash + gone
    if name == "equal_weight":
        return capped(equal_weights(ctx), np.ones(ctx.n), c)
    raw = objective(name).weights(ctx)  # type: ignore[misc]
    return capped(raw, asset_caps(c, ctx.assets), c)


def failed_target(exc: OptimisationError) -> dict[str, Any]:
    """``target_return`` diagnostics when a fallback holds the weights."""
    from indexer.optimiser.target import UnreachableReturn

    if isinstance(exc, UnreachableReturn):
        return {"status": "unreachable", "max_return": exc.max_return, "held": "fallback"}
    return {"status": "failed", "held": "fallback"}
