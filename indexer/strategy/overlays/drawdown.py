"""``drawdown_guard``: de-risk after a set drawdown, re-risk by explicit rules.

The guarded curve is the strategy's own pre-overlay portfolio over the last
``window`` bars, measured from data up to ``as_of`` only:

* ``curve: replay`` (default): the strategy's pre-overlay decisions at its
  scheduled dates inside the window, each decided from data up to its date and
  held until the next (``ctx.replay``, memoised, so a backtest decides each
  past date once);
* ``curve: constant_mix``: the weights decided now (``ctx.base_weights``) held
  as a constant mix over the window (cheaper; used when no replay is given).

A state machine walks that curve:

* de-risk when the drawdown from its running peak reaches ``max_drawdown``;
* re-risk when the drawdown recovers to ``rerisk_drawdown`` or less, or, if
  ``rerisk_after_days`` is set, after that many bars de-risked (the peak is
  then reset to the current level, so an old peak cannot keep it out forever).

While de-risked the risky part is scaled to ``exposure`` and the rest goes to CASH.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from indexer.strategy.overlays.base import OverlayContext, OverlayResult, basket_returns, scale_exposure

__all__ = ["DrawdownGuard", "guard_path"]


def guard_path(
    equity: np.ndarray, max_drawdown: float, rerisk_drawdown: float, rerisk_after: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Walk ``equity`` (levels) and return (de-risked state, drawdown) after each bar."""
    n = len(equity)
    state = np.zeros(n, dtype=bool)
    dd = np.zeros(n)
    peak, on, since = -np.inf, False, 0
    for i, x in enumerate(equity):
        peak = max(peak, x)
        dd[i] = 1.0 - x / peak if peak > 0 else 0.0
        if not on and dd[i] >= max_drawdown:
            on, since = True, i
        elif on and dd[i] <= rerisk_drawdown:
            on = False
        elif on and rerisk_after is not None and i - since >= rerisk_after:
            on, peak = False, x
            dd[i] = 0.0
        state[i] = on
    return state, dd


class DrawdownGuard(BaseModel):
    """Parameters of the ``drawdown_guard`` overlay (fractions; ``window`` and days in bars)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Literal["drawdown_guard"] = "drawdown_guard"
    max_drawdown: float = Field(0.25, gt=0.0, lt=1.0, description="De-risk at this drawdown from the peak.")
    rerisk_drawdown: float = Field(0.10, ge=0.0, lt=1.0, description="Re-risk once the drawdown is back to this.")
    rerisk_after_days: int | None = Field(None, ge=1, description="Also re-risk after this many bars de-risked.")
    exposure: float = Field(0.25, ge=0.0, le=1.0, description="Risky exposure while de-risked.")
    window: int = Field(365, ge=10, description="Bars of the guarded curve (its peak is taken within them).")
    curve: Literal["replay", "constant_mix"] = "replay"

    @model_validator(mode="after")
    def _check(self) -> DrawdownGuard:
        if self.rerisk_drawdown >= self.max_drawdown:
            raise ValueError(
                f"rerisk_drawdown ({self.rerisk_drawdown}) must be < max_drawdown ({self.max_drawdown})"
            )
        return self

    @property
    def lookback(self) -> int:
        """Bars of history needed: ``window + 1``."""
        return self.window + 1

    def apply(self, weights: pd.Series, ctx: OverlayContext) -> OverlayResult:
        """Scale risky exposure to ``exposure`` while de-risked (drawdown past ``max_drawdown``, until re-risked)."""
        used = self.curve if (self.curve == "constant_mix" or ctx.replay is not None) else "constant_mix"
        if used == "replay" and ctx.replay is not None:
            equity = ctx.replay(self.window).to_numpy(dtype="float64")
        else:
            r = basket_returns(ctx.data, ctx.base_weights, self.window)
            equity = np.r_[1.0, np.cumprod(1.0 + r.to_numpy())]
        state, dd = guard_path(equity, self.max_drawdown, self.rerisk_drawdown, self.rerisk_after_days)
        on = bool(state[-1])
        factor = self.exposure if on else 1.0
        info = {
            "name": self.name,
            "drawdown": round(float(dd[-1]), 6),
            "de_risked": on,
            "exposure": factor,
            "curve": used,
        }
        return OverlayResult(scale_exposure(weights, factor), info)
