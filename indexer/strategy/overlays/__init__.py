"""Overlays: named, parameterised adjustments applied after the optimiser (de-risk to CASH).

A strategy file lists them under ``overlays:`` by ``name`` with their params;
they run in the listed order.  Each is a pydantic model with ``apply(weights,
ctx) -> OverlayResult`` and a ``lookback`` in bars.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from indexer.strategy.overlays.base import OverlayContext, OverlayResult, scale_exposure
from indexer.strategy.overlays.drawdown import DrawdownGuard
from indexer.strategy.overlays.regime_filter import RegimeFilter
from indexer.strategy.overlays.vol_target import VolTarget

__all__ = [
    "OverlaySpec",
    "OVERLAYS",
    "OverlayContext",
    "OverlayResult",
    "RegimeFilter",
    "VolTarget",
    "DrawdownGuard",
    "scale_exposure",
]

#: Overlay name -> parameter model.
OVERLAYS: dict[str, type[BaseModel]] = {"regime_filter": RegimeFilter, "vol_target": VolTarget, "drawdown_guard": DrawdownGuard}

#: One entry of ``overlays:`` (discriminated by ``name``).
OverlaySpec = Annotated[RegimeFilter | VolTarget | DrawdownGuard, Field(discriminator="name")]
