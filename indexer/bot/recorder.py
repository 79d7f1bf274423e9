"""The bot's :class:`~indexer.execution.recovery.ExecutionHooks`: every order into ``bot_orders``.

* ``on_intent``: row in status ``intent`` with the deterministic client order id,
  committed before anything is sent (kill point ``order_intent``);
* ``on_sent``: kill point ``order_sent`` first (sent, nothing recorded), then
  the exchange order id and status ``sent``;
* ``on_fill``: last status, filled amount and fills (kill point ``order_recorded``);
* ``on_rejected`` / ``on_lost`` / ``on_found``: rejection, an order the exchange
  never saw, an order found on the exchange after a restart (not resent).

:func:`known_orders` turns the recorded rows back into
:class:`~indexer.execution.recovery.KnownOrder` for a resumed ``execute``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from indexer._typing import Fill, OrderIntent
from indexer.bot.crash_points import crash_point
from indexer.bot.database import Store
from indexer.exceptions import OrderRejected
from indexer.execution.client_ids import parse_client_order_id
from indexer.execution.recovery import ExecutionHooks, KnownOrder
from indexer.execution.types import OrderState

__all__ = ["OrderRecorder", "known_orders", "fill_dict"]


def fill_dict(f: Fill) -> dict[str, Any]:
    """Return a fill as stored in ``bot_orders.fills`` (Decimals as text)."""
    return {"symbol": f.symbol, "side": f.side, "amount": str(f.amount), "price": str(f.price), "fee": str(f.fee),
            "fee_currency": f.fee_currency, "order_id": f.order_id}


def known_orders(rows: Sequence[Mapping[str, Any]]) -> list[KnownOrder]:
    """Convert recorded ``bot_orders`` rows of a run to :class:`KnownOrder` (for recovery)."""
    out = []
    for r in rows:
        _, part = parse_client_order_id(r["client_order_id"])
        intent = OrderIntent(symbol=r["symbol"], side=r["side"], amount=Decimal(r["amount"]), type=r["type"],
                             price=Decimal(r["price"]) if r["type"] == "limit" and r["price"] else None,
                             client_order_id=r["client_order_id"], leg=f"{r['leg']}.{part}")
        out.append(KnownOrder(intent, r["status"], Decimal(r["filled"] or "0"), r["exchange_order_id"] or None))
    return out


class OrderRecorder(ExecutionHooks):
    """Persist the orders of run ``run_id`` (see module docstring).

    ``event(kind, message, level=...)`` writes a bot event; ``redact`` cleans
    exchange messages before they are stored.
    """

    def __init__(self, store: Store, run_id: int, event: Callable[..., None], redact: Callable[[str], str]) -> None:
        self.store, self.run_id, self.event, self.redact = store, run_id, event, redact

    @staticmethod
    def _leg(intent: OrderIntent) -> int:
        return parse_client_order_id(intent.client_order_id or "")[0]

    def on_intent(self, intent: OrderIntent) -> None:
        """Record the intent before it is sent (crash-safe: a restart finds it)."""
        leg = self._leg(intent)
        self.store.record_intent(self.run_id, leg, intent.client_order_id or "", intent.symbol, intent.side,
                                 intent.type, str(intent.amount), str(intent.price) if intent.price else None)
        crash_point("order_intent", leg)

    def on_sent(self, intent: OrderIntent, order: OrderState) -> None:
        """Record the exchange's order id; status ``sent``."""
        crash_point("order_sent", self._leg(intent))
        self.store.update_order(intent.client_order_id or "", exchange_order_id=order.id, status="sent")

    def on_fill(self, intent: OrderIntent, order: OrderState, fills: list[Fill]) -> None:
        """Record the order's final state, filled amount and fills."""
        self.store.update_order(intent.client_order_id or "", exchange_order_id=order.id,
                                status=order.status or "open", filled=str(order.filled),
                                fills=[fill_dict(f) for f in fills])
        crash_point("order_recorded", self._leg(intent))

    def on_rejected(self, intent: OrderIntent, error: OrderRejected) -> None:
        """Record the rejection and emit a ``rejected`` event."""
        msg = self.redact(str(error))
        self.store.update_order(intent.client_order_id or "", status="rejected", error=msg)
        self.event("rejected", f"order {intent.client_order_id} rejected: {msg}", level="warning")

    def on_found(self, intent: OrderIntent, order: OrderState) -> None:
        """Emit a ``reconcile`` event: the order was found on the exchange, not resent."""
        self.event("reconcile", f"order {intent.client_order_id} found on the exchange after a restart: not resent")

    def on_lost(self, intent: OrderIntent) -> None:
        """Mark an order the exchange never received as ``canceled`` and emit a ``reconcile`` event."""
        self.store.update_order(intent.client_order_id or "", status="canceled",
                                error="unknown to the exchange: never placed")
        self.event("reconcile", f"order {intent.client_order_id} is unknown to the exchange: not sent")
