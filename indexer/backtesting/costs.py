"""Trading costs of the simulation: maker/taker fees, slippage with a market-impact term, minimum trade size."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from indexer.exceptions import ConfigError

__all__ = ["CostModel"]


@dataclass(frozen=True)
class CostModel:
    """What every simulated trade pays (all fractions of traded notional unless stated).

    Parameters
    ----------
    taker_fee
        Fee of orders that take liquidity (the backtest's market orders), e.g. 0.001 = 10 bps.
    maker_fee
        Fee of passive (limit) fills; ``None`` means the taker fee.
    maker_share
        Fraction of traded notional assumed filled passively at ``maker_fee`` (0 = all taker).
    slippage
        Fixed slippage: fills are this fraction worse than the bar's close.
    impact
        Market-impact coefficient ``k``: extra slippage ``k * sqrt(notional / ADV)`` where ADV
        is the average daily USD volume over ``impact_window`` bars known at the decision.
    impact_window
        Bars averaged for ADV.
    max_slippage
        Upper bound of fixed plus impact slippage per fill.
    min_trade_usd
        Trades with a smaller notional (USD) are skipped; the asset keeps its drifted weight.
    """

    taker_fee: float = 0.001
    maker_fee: float | None = None
    maker_share: float = 0.0
    slippage: float = 0.0005
    impact: float = 0.0
    impact_window: int = 30
    max_slippage: float = 0.05
    min_trade_usd: float = 0.0

    def __post_init__(self) -> None:
        """Check each cost parameter lies in its range (ConfigError naming the field)."""
        checks = {
            "taker_fee": (self.taker_fee, 0.0, 0.5),
            "maker_fee": (self.maker_fee if self.maker_fee is not None else 0.0, -0.01, 0.5),
            "maker_share": (self.maker_share, 0.0, 1.0),
            "slippage": (self.slippage, 0.0, 0.5),
            "impact": (self.impact, 0.0, 10.0),
            "max_slippage": (self.max_slippage, 0.0, 0.9),
            "min_trade_usd": (self.min_trade_usd, 0.0, float("inf")),
        }
        for name, (v, lo, hi) in checks.items():
            if not lo <= v <= hi:  # NaN fails too
                raise ConfigError(f"CostModel.{name} = {v!r}: expected a number in [{lo}, {hi}]")
        if self.impact_window < 1:
            raise ConfigError(f"CostModel.impact_window = {self.impact_window!r}: expected >= 1 bar")

    @property
    def fee(self) -> float:
        """Effective fee per unit of traded notional (maker/taker blend)."""
        maker = self.taker_fee if self.maker_fee is None else self.maker_fee
        return (1.0 - self.maker_share) * self.taker_fee + self.maker_share * maker

    def slippage_for(self, notional: np.ndarray, adv: np.ndarray) -> np.ndarray:
        """Slippage fraction per fill: fixed plus ``impact * sqrt(notional / ADV)``, capped.

        Where ADV is unknown or zero only the fixed part applies.
        """
        notional = np.abs(np.asarray(notional, dtype=float))
        slip = np.full(notional.shape, self.slippage)
        if self.impact > 0:
            adv = np.asarray(adv, dtype=float)
            ok = np.isfinite(adv) & (adv > 0)
            slip[ok] += self.impact * np.sqrt(notional[ok] / adv[ok])
        return np.minimum(slip, max(self.max_slippage, self.slippage))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, with the effective fee."""
        return {**asdict(self), "effective_fee": self.fee}
