"""The order plan: what to trade (:class:`OrderPlan`), its legs and the trades it leaves out.

:class:`OrderPlan` is frozen, printable and round-trips through JSON; its legs are
:class:`PlannedOrder` and the trades it leaves out :class:`SkippedTrade`.

:func:`indexer.execution.planner.plan_orders` builds it; the executor works it; the bot stores it as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from indexer._typing import OrderIntent
from indexer.execution.client_ids import client_order_id
from indexer.execution.untradeable import Untradeable

__all__ = ["PlannedOrder", "SkippedTrade", "OrderPlan"]

ZERO = Decimal(0)


@dataclass(frozen=True)
class PlannedOrder:
    """One leg of a plan: ``amount`` base units on ``symbol`` at about ``price`` (market quote units)."""

    leg: int
    asset: str
    symbol: str
    side: str
    amount: Decimal
    price: Decimal
    value: Decimal  # in the account quote currency
    note: str = ""

    def intent(self, run_id: str, *, type: str = "market", price: Decimal | None = None,
               amount: Decimal | None = None, part: int = 0) -> OrderIntent:
        """Return an :class:`OrderIntent` with a client id derived from ``run_id``, leg and part."""
        return OrderIntent(symbol=self.symbol, side=self.side, amount=self.amount if amount is None else amount,  # type: ignore[arg-type]
                           type=type, price=price, client_order_id=client_order_id(run_id, self.leg, part),  # type: ignore[arg-type]
                           leg=f"{self.leg}.{part}")


@dataclass(frozen=True)
class SkippedTrade:
    """A wanted trade not placed: too small (dust), below the drift threshold, or unroutable."""

    asset: str
    reason: str
    value: Decimal


@dataclass(frozen=True)
class OrderPlan:
    """What to trade to move ``current_weights`` to ``target_weights`` (frozen, printable)."""

    as_of: pd.Timestamp | None
    quote: str
    portfolio_value: Decimal
    orders: tuple[PlannedOrder, ...]
    skipped: tuple[SkippedTrade, ...]
    current_weights: pd.Series
    target_weights: pd.Series
    expected_weights: pd.Series
    tracking_error: float
    fee_estimate: Decimal
    fee_reserve: Decimal  # the cash buffer, quote units
    asset_prices: Mapping[str, Decimal] = field(default_factory=dict)
    untradeable: tuple[Untradeable, ...] = ()
    funding_scale: float = 1.0  # factor applied to every buy so they fit the free balance (1 = none)
    available: Decimal = ZERO  # free quote + sell proceeds - cash kept, quote units

    @property
    def notes(self) -> list[str]:
        """One line per policy decision: untradeable assets, scaled buys."""
        out = [u.note for u in self.untradeable]
        if self.funding_scale < 1:
            out.append(f"buys scaled to {self.funding_scale:.2%} to fit {self.available:,.2f} {self.quote} available "
                       f"(free balance + sells - cash buffer)")
        return out

    @property
    def digest(self) -> str:
        """Short hash of the orders (symbol, side, amount): ties an approval or a run id to this plan."""
        import hashlib

        text = repr([(o.symbol, o.side, str(o.amount)) for o in self.orders])
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    @property
    def turnover(self) -> float:
        """Sum of order values / portfolio value (fraction)."""
        v = float(self.portfolio_value)
        return float(sum(o.value for o in self.orders)) / v if v else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "as_of": self.as_of.isoformat() if self.as_of is not None else None,
            "quote": self.quote, "portfolio_value": str(self.portfolio_value),
            "orders": [{"leg": o.leg, "asset": o.asset, "symbol": o.symbol, "side": o.side, "amount": str(o.amount),
                        "price": str(o.price), "value": str(o.value), "note": o.note} for o in self.orders],
            "skipped": [{"asset": s.asset, "reason": s.reason, "value": str(s.value)} for s in self.skipped],
            "expected_weights": {k: float(v) for k, v in self.expected_weights.items()},
            "target_weights": {k: float(v) for k, v in self.target_weights.items()},
            "tracking_error": self.tracking_error, "fee_estimate": str(self.fee_estimate),
            "current_weights": {k: float(v) for k, v in self.current_weights.items()},
            "fee_reserve": str(self.fee_reserve),
            "asset_prices": {k: str(v) for k, v in self.asset_prices.items()},
            "untradeable": [{"asset": u.asset, "weight": u.weight, "reason": u.reason, "policy": u.policy,
                             "to_cash": u.to_cash} for u in self.untradeable],
            "funding_scale": self.funding_scale, "available": str(self.available),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OrderPlan:
        """Rebuild a plan from :meth:`to_dict` (e.g. stored as JSON before its orders were placed)."""
        def series(key: str) -> pd.Series:
            return pd.Series(d.get(key) or {}, dtype="float64")

        return cls(
            as_of=pd.Timestamp(d["as_of"]) if d.get("as_of") else None, quote=d["quote"],
            portfolio_value=Decimal(d["portfolio_value"]),
            orders=tuple(PlannedOrder(leg=int(o["leg"]), asset=o.get("asset") or o["symbol"].split("/")[0],
                                      symbol=o["symbol"], side=o["side"], amount=Decimal(o["amount"]),
                                      price=Decimal(o["price"]), value=Decimal(o["value"]), note=o.get("note", ""))
                         for o in d["orders"]),
            skipped=tuple(SkippedTrade(s["asset"], s["reason"], Decimal(s["value"])) for s in d.get("skipped", [])),
            current_weights=series("current_weights"), target_weights=series("target_weights"),
            expected_weights=series("expected_weights"), tracking_error=float(d.get("tracking_error", 0.0)),
            fee_estimate=Decimal(d.get("fee_estimate", "0")), fee_reserve=Decimal(d.get("fee_reserve", "0")),
            asset_prices={k: Decimal(v) for k, v in (d.get("asset_prices") or {}).items()},
            untradeable=tuple(Untradeable(u["asset"], float(u["weight"]), u["reason"], u["policy"],
                                          float(u.get("to_cash", 0.0))) for u in d.get("untradeable") or []),
            funding_scale=float(d.get("funding_scale", 1.0)), available=Decimal(d.get("available", "0")),
        )

    def __rich__(self) -> Any:
        """Render the plan as a rich table."""
        from indexer.execution.views import plan_view

        return plan_view(self)
