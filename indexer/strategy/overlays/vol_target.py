"""``vol_target``: scale exposure so the portfolio's recent volatility does not exceed a target.

The realised volatility of the current weights, held as a constant mix over
the last ``window`` bars (annualised with 365 days), is compared with
``target``; the risky part is scaled by ``min(1, target / vol)`` (never below
``min_exposure``) and the remainder goes to CASH.  It never levers up.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from indexer.strategy.overlays.base import OverlayContext, OverlayResult, annual_vol, basket_returns, scale_exposure

__all__ = ["VolTarget"]


class VolTarget(BaseModel):
    """Parameters of the ``vol_target`` overlay: ``target`` annual volatility (fraction), ``window`` bars."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Literal["vol_target"] = "vol_target"
    target: float = Field(0.5, gt=0.0, le=5.0, description="Target annualised volatility, fraction (0.5 = 50%).")
    window: int = Field(60, ge=5)
    min_exposure: float = Field(0.0, ge=0.0, le=1.0)

    @property
    def lookback(self) -> int:
        """Bars of history needed: ``window + 1``."""
        return self.window + 1

    def apply(self, weights: pd.Series, ctx: OverlayContext) -> OverlayResult:
        """Scale risky exposure by ``target / realised vol`` (within ``[min_exposure, 1]``)."""
        vol = annual_vol(basket_returns(ctx.data, weights, self.window))
        if not np.isfinite(vol) or vol <= 0:
            factor, note = 1.0, "volatility not measurable (too little history or all cash): unchanged"
        else:
            factor, note = float(np.clip(self.target / vol, self.min_exposure, 1.0)), ""
        info = {
            "name": self.name,
            "target": self.target,
            "realised_vol": None if not np.isfinite(vol) else round(vol, 6),
            "exposure": round(factor, 6),
        }
        if note:
            info["note"] = note
        return OverlayResult(scale_exposure(weights, factor), info)
