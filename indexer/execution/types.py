"""Small frozen types at the broker boundary (markets, balances, order books, order states).

Brokers convert what their exchange answers into these (ccxt dicts are read in
``ccxt_broker.py`` and ``paper.py`` only); the planner, the executor, recovery
and the bot see nothing else.  Quantities and prices are ``Decimal``: amounts
in base units, prices in the market's quote units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from indexer._typing import Fill, Holdings

__all__ = ["Market", "Balance", "AccountBalance", "BookLevel", "OrderBook", "OrderState", "FINAL_STATES"]

ZERO = Decimal(0)
#: Order states after which nothing more happens to an order.
FINAL_STATES = frozenset({"closed", "canceled", "cancelled", "expired", "rejected"})


@dataclass(frozen=True)
class Market:
    """One spot market and its filters.

    ``amount_step`` / ``price_step`` are the lot step and tick size (``None``:
    no rounding); ``min_amount`` (base units) and ``min_cost`` (quote units) are
    the exchange's minimums (0 when none); ``max_market_amount`` caps a market
    order; ``taker`` is the fee fraction (``None``: unknown).
    """

    symbol: str
    base: str
    quote: str
    active: bool = True
    spot: bool = True
    amount_step: Decimal | None = None
    price_step: Decimal | None = None
    min_amount: Decimal = ZERO
    max_amount: Decimal | None = None
    min_cost: Decimal = ZERO
    max_market_amount: Decimal | None = None
    taker: Decimal | None = None

    @property
    def tradable(self) -> bool:
        """Active spot market."""
        return self.active and self.spot

    def round_amount(self, amount: Decimal) -> Decimal:
        """``amount`` truncated to the lot step (never negative)."""
        if amount <= 0:
            return ZERO
        if not self.amount_step:
            return amount
        return (amount / self.amount_step).to_integral_value(ROUND_DOWN) * self.amount_step

    def tradeable(self, amount: Decimal, price: Decimal) -> bool:
        """``amount`` at ``price`` clears the minimum amount and notional."""
        return amount > 0 and amount >= self.min_amount and amount * price >= self.min_cost


@dataclass(frozen=True)
class Balance:
    """One currency of an account: ``free`` (spendable), ``used`` (locked in open orders), ``total``."""

    free: Decimal = ZERO
    used: Decimal = ZERO
    total: Decimal = ZERO


@dataclass(frozen=True)
class AccountBalance:
    """Every currency's :class:`Balance` (``quote`` is the account's unit)."""

    balances: Mapping[str, Balance]
    quote: str = "USDT"
    as_of: Any = None

    def free(self, currency: str) -> Decimal:
        """Spendable quantity of ``currency`` (0 when absent)."""
        b = self.balances.get(currency)
        return b.free if b else ZERO

    def used(self, currency: str) -> Decimal:
        """Quantity of ``currency`` locked in open orders."""
        b = self.balances.get(currency)
        return b.used if b else ZERO

    def total(self, currency: str) -> Decimal:
        """Free + locked quantity of ``currency``."""
        b = self.balances.get(currency)
        return b.total if b else ZERO

    def holdings(self) -> Holdings:
        """Total quantities as :class:`~indexer._typing.Holdings` (zero balances dropped)."""
        return Holdings({c: b.total for c, b in self.balances.items() if b.total}, quote=self.quote, as_of=self.as_of)

    @classmethod
    def from_totals(cls, totals: Mapping[str, Decimal], quote: str = "USDT", as_of: Any = None) -> AccountBalance:
        """Everything free (an account without open orders)."""
        return cls({c: Balance(Decimal(v), ZERO, Decimal(v)) for c, v in totals.items()}, quote=quote, as_of=as_of)


@dataclass(frozen=True)
class BookLevel:
    """A price level: ``price`` (quote units) and ``amount`` (base units)."""

    price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class OrderBook:
    """Bids and asks, best first."""

    symbol: str
    bids: tuple[BookLevel, ...] = ()
    asks: tuple[BookLevel, ...] = ()


@dataclass(frozen=True)
class OrderState:
    """An order as the exchange last reported it.

    ``status`` is one of open / closed / canceled / expired / rejected;
    ``filled`` and ``remaining`` are base units; ``average`` the mean fill price;
    ``fills`` the executions when the exchange returned them with the order.
    """

    id: str
    symbol: str
    side: str
    type: str = "market"
    status: str = "open"
    amount: Decimal = ZERO
    filled: Decimal = ZERO
    remaining: Decimal = ZERO
    price: Decimal | None = None
    average: Decimal | None = None
    client_order_id: str | None = None
    fee: Decimal = ZERO
    fee_currency: str = ""
    fills: tuple[Fill, ...] = field(default=(), compare=False)

    @property
    def cost(self) -> Decimal:
        """Quote spent or received: ``filled * average`` (quote units, fees excluded)."""
        return self.filled * (self.average if self.average is not None else (self.price or ZERO))

    @property
    def final(self) -> bool:
        """Nothing more will happen to this order."""
        return self.status in FINAL_STATES

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (Decimals as text)."""
        return {"id": self.id, "clientOrderId": self.client_order_id, "symbol": self.symbol, "side": self.side,
                "type": self.type, "status": self.status, "amount": str(self.amount), "filled": str(self.filled),
                "remaining": str(self.remaining), "price": None if self.price is None else str(self.price),
                "average": None if self.average is None else str(self.average)}
