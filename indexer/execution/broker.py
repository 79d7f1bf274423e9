"""The ``Broker`` protocol: what execution needs from an account (see ARCHITECTURE.md).

Implementations: ``CcxtBroker`` (any ccxt exchange) and ``PaperBroker`` (simulated
fills), in separate modules.  Quantities are ``Decimal`` at this boundary.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

from indexer._typing import Fill, Holdings, OrderIntent

__all__ = ["Broker"]


@runtime_checkable
class Broker(Protocol):
    """An account on an exchange (real, simulated or paper)."""

    def fetch_holdings(self) -> Holdings:
        """Balances (free + used) per currency."""
        ...

    def fetch_prices(self, symbols: Sequence[str]) -> Mapping[str, Decimal]:
        """Last (or mid) price per market symbol, e.g. ``{"BTC/USDT": Decimal("64000.1")}``."""
        ...

    def markets(self) -> Mapping[str, Mapping[str, Any]]:
        """ccxt-style market metadata by symbol (precision, limits, base, quote, active)."""
        ...

    def place(self, orders: Sequence[OrderIntent]) -> list[Fill]:
        """Place orders (idempotent per ``client_order_id``) and return their fills."""
        ...

    def open_orders(self, symbol: str | None = None) -> list[Mapping[str, Any]]:
        """Orders still open on the exchange (ccxt order structures)."""
        ...

    def cancel(self, order_id: str, symbol: str) -> None:
        """Cancel an open order."""
        ...
