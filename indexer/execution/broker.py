"""The ``Broker`` protocol: what execution needs from an account (see ARCHITECTURE.md).

Implementations: ``CcxtBroker`` (any ccxt exchange) and ``PaperBroker`` (simulated
fills), in separate modules.  Quantities are ``Decimal`` at this boundary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol, runtime_checkable

from indexer._typing import Fill, Holdings, OrderIntent
from indexer.execution.types import AccountBalance, Market, OrderBook, OrderState

__all__ = ["Broker", "TradingBroker"]


@runtime_checkable
class Broker(Protocol):
    """An account on an exchange (real, simulated or paper)."""

    def fetch_holdings(self) -> Holdings:
        """Balances (free + used) per currency."""
        ...

    def fetch_balance(self) -> AccountBalance:
        """Free, locked (``used``) and total balance per currency."""
        ...

    def fetch_prices(self, symbols: Sequence[str]) -> Mapping[str, Decimal]:
        """Last (or mid) price per market symbol, e.g. ``{"BTC/USDT": Decimal("64000.1")}``."""
        ...

    def markets(self) -> Mapping[str, Market]:
        """Markets by symbol with their filters."""
        ...

    def place(self, orders: Sequence[OrderIntent]) -> list[Fill]:
        """Place orders (idempotent per ``client_order_id``) and return their fills."""
        ...

    def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """Orders still open on the exchange."""
        ...

    def cancel(self, order_id: str, symbol: str) -> None:
        """Cancel an open order."""
        ...


@runtime_checkable
class TradingBroker(Broker, Protocol):
    """A :class:`Broker` with the order-level calls the executor needs.

    Orders are :class:`~indexer.execution.types.OrderState` (status open /
    closed / canceled / expired, filled, remaining, average).
    """

    quote: str

    def submit(self, order: OrderIntent) -> OrderState:
        """Place one order, idempotent per ``client_order_id`` (a retry never doubles it)."""
        ...

    def fetch_order(
        self, symbol: str, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState | None:
        """Fetch an order by exchange id or client id, ``None`` when the exchange does not know it."""
        ...

    def order_fills(self, order: OrderState) -> list[Fill]:
        """Return the executions of an order (fees included)."""
        ...

    def fetch_order_book(self, symbol: str, limit: int = 20) -> OrderBook:
        """Bids and asks, best first."""
        ...

    def amount_to_precision(self, symbol: str, amount: Decimal) -> Decimal:
        """``amount`` truncated to the market's lot step."""
        ...

    def price_to_precision(self, symbol: str, price: Decimal) -> Decimal:
        """``price`` rounded to the market's tick size."""
        ...
