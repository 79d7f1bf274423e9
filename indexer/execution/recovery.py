"""Persistence hooks of :func:`~indexer.execution.executor.execute` and recovery of a partly executed plan.

A caller that must survive a crash (the bot) subclasses :class:`ExecutionHooks`
and records each order *before* it is sent (``on_intent``, with its
deterministic client order id), when the exchange acknowledged it
(``on_sent``) and when the executor is done with it (``on_fill``: last state
and fills).  After a restart it hands what it recorded back as
:class:`KnownOrder` objects; :func:`recover` looks every unfinished one up on
the exchange by client order id (cancelling it when still open), so that an
order is never placed twice:

* found on the exchange: ``on_found`` then ``on_fill``; its fills count towards its leg;
* a recorded intent the exchange does not know never left: it is sent again
  with the same client order id (``resend=True``), else reported ``on_lost``;
* acknowledged (``sent``/``open``) but unknown to the exchange: ``on_lost``, and its leg is redone;
* a leg with a rejected order is not retried (a rejection is never retried blindly).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from indexer._typing import Fill, OrderIntent
from indexer.exceptions import OrderRejected
from indexer.execution.broker import TradingBroker
from indexer.execution.client_ids import parse_client_order_id
from indexer.execution.types import FINAL_STATES, OrderState

__all__ = ["ExecutionHooks", "KnownOrder", "LegProgress", "recover", "FINAL"]

log = logging.getLogger(__name__)
ZERO = Decimal(0)
#: Order states after which nothing more happens to an order.
FINAL = FINAL_STATES


class ExecutionHooks:
    """Callbacks of :func:`~indexer.execution.executor.execute` (no-ops here; override what you persist).

    An exception raised by a hook aborts the execution at once; client order
    ids make the next, resumed execution safe.
    """

    def on_intent(self, intent: OrderIntent) -> None:
        """``intent`` is about to be sent (nothing has been sent yet): record it."""

    def on_sent(self, intent: OrderIntent, order: OrderState) -> None:
        """Handle the exchange acknowledging ``intent`` as ``order``."""

    def on_fill(self, intent: OrderIntent, order: OrderState, fills: list[Fill]) -> None:
        """Handle the executor being done with ``order`` (final, or cancelled): its last state and fills."""

    def on_rejected(self, intent: OrderIntent, error: OrderRejected) -> None:
        """Handle the exchange rejecting ``intent`` (never retried)."""

    def on_found(self, intent: OrderIntent, order: OrderState) -> None:
        """On recovery: ``intent`` was found on the exchange, so it is not sent again."""

    def on_lost(self, intent: OrderIntent) -> None:
        """On recovery: the exchange does not know ``intent`` and it is not sent again."""


@dataclass(frozen=True)
class KnownOrder:
    """An order recorded by an earlier, interrupted execution of the same run.

    ``status`` is ``intent`` (recorded, maybe not sent), ``sent`` or ``open``
    (acknowledged, final state not recorded), or a final state; ``filled`` is
    in base units.
    """

    intent: OrderIntent
    status: str = "intent"
    filled: Decimal = ZERO
    order_id: str | None = None


@dataclass
class LegProgress:
    """What recovery found for one leg.

    Base units filled, intents to resend, the next free part number, and whether the exchange
    rejected an order of it (the leg is then not retried).
    """

    filled: Decimal = ZERO
    rejected: bool = False
    resend: list[OrderIntent] = field(default_factory=list)
    next_part: int = 0
    found: list[OrderState] = field(default_factory=list)


def _next_base(part: int) -> int:
    """Return the first slice base (a multiple of 10) after ``part``."""
    return (part // 10 + 1) * 10


def recover(broker: TradingBroker, known: Iterable[KnownOrder], hooks: ExecutionHooks | None = None,
            *, resend: bool = True) -> dict[int, LegProgress]:
    """Settle the unfinished ``known`` orders with the exchange (see module docstring); progress per leg."""
    hooks = hooks or ExecutionHooks()
    legs: dict[int, LegProgress] = {}
    for k in known:
        cid = k.intent.client_order_id or ""
        leg, part = parse_client_order_id(cid)
        state = legs.setdefault(leg, LegProgress())
        state.next_part = max(state.next_part, _next_base(part))
        if k.status in FINAL:
            state.filled += k.filled
            state.rejected |= k.status == "rejected"
            continue
        found = broker.fetch_order(k.intent.symbol, order_id=k.order_id or None, client_order_id=cid)
        if found is None:
            if k.status == "intent" and resend:
                state.resend.append(k.intent)
            else:
                log.info("order %s (%s) is unknown to the exchange: not sent", cid, k.status)
                hooks.on_lost(k.intent)
            continue
        if not found.final:
            broker.cancel(found.id, k.intent.symbol)
            found = broker.fetch_order(k.intent.symbol, order_id=found.id) or found
        log.info("order %s found on the exchange (%s): not sent again", cid, found.status)
        hooks.on_found(k.intent, found)
        hooks.on_fill(k.intent, found, broker.order_fills(found))
        state.filled += found.filled
        state.found.append(found)
    return legs
