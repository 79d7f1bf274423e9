"""``PaperBroker``: simulated fills at current prices with fees; keeps its own balances.

Market orders fill at the given price moved by ``slippage_bps`` against the
trader; limit orders fill at their limit when marketable at placement, else
rest until cancelled.  Fees (``fee_rate``) are charged in the received
currency, as on Binance.  Orders are checked against the market's filters
(lot step, minimum amount, minimum notional) and the free balance, and
rejected with :class:`~indexer.exceptions.OrderRejected` like an exchange
would.  A repeated client order id returns the existing order.

:meth:`PaperBroker.from_market_data` builds an account priced at the closes
known at a decision time, with Binance-like markets parsed offline by ccxt.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer._typing import Fill, Holdings, OrderIntent
from indexer.data.market import to_utc
from indexer.exceptions import ConfigError, DataError, ExecutionError, OrderRejected
from indexer.execution.ccxt_broker import markets_from_ccxt
from indexer.execution.types import AccountBalance, Balance, BookLevel, Market, OrderBook, OrderState

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["PaperBroker"]

ZERO = Decimal(0)


class PaperBroker:
    """A paper account (see module docstring).

    Parameters
    ----------
    exchange
        A ccxt exchange object whose ``markets`` are loaded (e.g.
        :func:`indexer.execution.market_info.ccxt_markets`, parsed offline); its
        ``amount_to_precision`` / ``price_to_precision`` do the rounding.
    prices
        Current price per market symbol (quote units).
    balances
        Starting balances per currency.
    fee_rate
        Fee as a fraction of the amount received.
    slippage_bps
        Adverse price move of market orders (basis points).

    Attributes
    ----------
    unpriced
        Assets left without a market by :meth:`from_market_data`, with the reason.
    """

    def __init__(
        self,
        exchange: Any,
        prices: Mapping[str, Decimal | float],
        balances: Mapping[str, Decimal | float | str],
        *,
        fee_rate: float = 0.001,
        slippage_bps: float = 0.0,
        quote: str = "USDT",
        as_of: pd.Timestamp | None = None,
    ) -> None:
        self.exchange = exchange
        self.prices = {s: Decimal(str(p)) for s, p in prices.items()}
        self.balances: dict[str, Decimal] = {c: Decimal(str(v)) for c, v in balances.items()}
        self.fee_rate = Decimal(str(fee_rate))
        self.slip = Decimal(str(slippage_bps)) / Decimal(10_000)
        self.quote, self.as_of = quote, as_of
        self.orders: dict[str, dict[str, Any]] = {}
        self.by_client: dict[str, str] = {}
        self.fills: list[Fill] = []
        self.unpriced: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._markets: dict[str, Market] | None = None

    @classmethod
    def from_market_data(
        cls,
        data: MarketData,
        *,
        balances: Mapping[str, Decimal | float | str] | float = 10_000.0,
        quote: str = "USDT",
        fee_rate: float = 0.001,
        slippage_bps: float = 0.0,
        as_of: Any = None,
        assets: Iterable[str] | None = None,
        max_age: str | pd.Timedelta | None = "7D",
    ) -> PaperBroker:
        """Create a paper account priced at the closes known at ``as_of``, with Binance-like markets.

        Each asset's price is its last positive close labelled at or before
        ``as_of`` (USD); no later row is read.  ``quote`` is the account's unit
        and is priced at exactly 1.  Markets come from
        :func:`indexer.execution.market_info.ccxt_markets` (recorded Binance
        filters where known, derived ones otherwise, plus ``ETH/BTC``).

        Parameters
        ----------
        data
            Market data; only ``data.close`` is read.
        balances
            Starting balances per currency, or a number: that much ``quote`` cash.
        quote
            Quote currency of the account and its markets.
        fee_rate, slippage_bps
            As for :class:`PaperBroker` (fraction; basis points).
        as_of
            Decision time (UTC; naive values are UTC); default the last bar.
            Holdings and fills carry it.
        assets
            Offer markets for these assets only (default: every column of ``data.close``).
        max_age
            Oldest close still used as a price, as a ``Timedelta`` or string
            (``None``: any earlier close).  An asset without a positive close in
            ``[as_of - max_age, as_of]`` gets no market and is listed in
            :attr:`unpriced`; the planner then raises ``ExecutionError`` naming
            it when a target wants it, and skips it when it is only held.

        Raises
        ------
        DataError
            ``as_of`` before the first bar, an asset not in ``data``, or no asset priced.
        ConfigError
            A negative or non-finite balance, ``fee_rate`` outside ``[0, 1)``,
            ``slippage_bps`` negative or ``max_age`` not positive.
        """
        from indexer.execution.market_info import ccxt_markets

        close = data.close
        if close.empty:
            raise DataError("paper account: data.close has no rows")
        t = close.index[-1] if as_of is None else to_utc(as_of)
        if t < close.index[0]:
            raise DataError(f"paper account: as_of {t} is before the first bar {close.index[0]} (no price known)")
        wanted = list(close.columns) if assets is None else list(dict.fromkeys(str(a) for a in assets))
        unknown = [a for a in wanted if a not in close.columns]
        if unknown:
            raise DataError(f"paper account: assets {unknown} are not in the market data (columns of data.close)")
        age = None if max_age is None else pd.Timedelta(max_age)
        if age is not None and age <= pd.Timedelta(0):
            raise ConfigError(f"paper account: max_age must be positive, got {max_age!r}")
        if not 0 <= fee_rate < 1 or slippage_bps < 0:
            raise ConfigError(f"paper account: need 0 <= fee_rate < 1 and slippage_bps >= 0, "
                              f"got {fee_rate}, {slippage_bps}")
        known = close.loc[:t, wanted]
        known = known.where(np.isfinite(known) & (known > 0))
        last = known.ffill().iloc[-1]
        stamp = known.apply(pd.Series.last_valid_index)
        usd: dict[str, float] = {}
        unpriced: dict[str, str] = {}
        for a in wanted:
            if a == quote:
                continue
            seen = stamp[a]
            if seen is None or pd.isna(seen):
                unpriced[a] = f"no positive close up to {t:%Y-%m-%d %H:%M} UTC"
            elif age is not None and t - seen > age:
                unpriced[a] = f"last close {seen:%Y-%m-%d} is older than max_age={max_age} at {t:%Y-%m-%d %H:%M} UTC"
            else:
                usd[a] = float(last[a])
        if not usd:
            raise DataError(f"paper account: no asset has a positive close within max_age={max_age} up to {t}")
        usd[quote] = 1.0
        start = {quote: balances} if isinstance(balances, (int, float, Decimal, str)) else dict(balances)
        for cur, v in start.items():
            if not math.isfinite(float(v)) or float(v) < 0 or float(v) > 1e12:
                raise ConfigError(
                    f"paper account: starting balance of {cur} must be finite, >= 0 and <= 1e12 units, got {v}"
                )
        exchange = ccxt_markets(usd, quote=quote)
        prices = {s: usd[m["base"]] / usd[m["quote"]] for s, m in exchange.markets.items()}
        broker = cls(exchange, prices, start, fee_rate=fee_rate, slippage_bps=slippage_bps, quote=quote, as_of=t)
        broker.unpriced = unpriced
        return broker

    def __repr__(self) -> str:
        """Return the number of prices and the fee rate."""
        return f"PaperBroker({len(self.prices)} prices, fee_rate={self.fee_rate})"

    # ------------------------------------------------------------------ Broker
    def markets(self) -> Mapping[str, Market]:
        """Return the exchange object's markets as :class:`Market` (converted once)."""
        if self._markets is None:
            self._markets = markets_from_ccxt(self.exchange.markets)
        return self._markets

    def fetch_balance(self) -> AccountBalance:
        """Free, locked (by resting paper orders) and total balance per currency."""
        used: dict[str, Decimal] = {}
        for o in self.orders.values():
            if o["status"] == "open":
                m = self.markets()[o["symbol"]]
                cur, q = (m.quote, Decimal(str(o["remaining"])) * Decimal(str(o["price"]))) if o["side"] == "buy" \
                    else (m.base, Decimal(str(o["remaining"])))
                used[cur] = used.get(cur, ZERO) + q
        out = {c: Balance(v - used.get(c, ZERO), used.get(c, ZERO), v) for c, v in self.balances.items() if v}
        return AccountBalance(out, quote=self.quote, as_of=self.as_of)

    def fetch_holdings(self) -> Holdings:
        """Return the current balances (non-zero)."""
        return Holdings({c: v for c, v in self.balances.items() if v}, quote=self.quote, as_of=self.as_of)

    def fetch_prices(self, symbols: Sequence[str]) -> Mapping[str, Decimal]:
        """Prices of ``symbols``; ``ExecutionError`` names any missing one."""
        missing = [s for s in symbols if s not in self.prices]
        if missing:
            raise ExecutionError(f"paper broker has no price for {missing}")
        return {s: self.prices[s] for s in symbols}

    def fetch_order_book(self, symbol: str, limit: int = 20) -> OrderBook:
        """Return a one-level book at the price (paper liquidity is unlimited)."""
        px = self.prices[symbol]
        return OrderBook(symbol, (BookLevel(px, Decimal("1e18")),), (BookLevel(px, Decimal("1e18")),))

    def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """Resting limit orders."""
        return [self._state(o) for o in self.orders.values() if o["status"] == "open" and symbol in (None, o["symbol"])]

    def cancel(self, order_id: str, symbol: str) -> None:
        """Cancel a resting order (no-op when already closed)."""
        o = self.orders.get(order_id)
        if o is not None and o["status"] == "open":
            o["status"] = "canceled"

    def fetch_order(
        self, symbol: str, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState | None:
        """Fetch an order by id or client id (None when unknown)."""
        oid = order_id or self.by_client.get(client_order_id or "")
        o = self.orders.get(oid) if oid else None
        return self._state(o) if o is not None else None

    @staticmethod
    def _state(o: Mapping[str, Any]) -> OrderState:
        fee = o.get("fee") or {}
        d = lambda x: None if x is None else Decimal(str(x))  # noqa: E731
        return OrderState(id=o["id"], symbol=o["symbol"], side=o["side"], type=o["type"], status=o["status"],
                          amount=Decimal(str(o["amount"])), filled=Decimal(str(o["filled"])),
                          remaining=Decimal(str(o["remaining"])), price=d(o.get("price")), average=d(o.get("average")),
                          client_order_id=o.get("clientOrderId"), fee=d(fee.get("cost")) or ZERO,
                          fee_currency=fee.get("currency") or "", fills=tuple(o.get("_fills", ())))

    def amount_to_precision(self, symbol: str, amount: Decimal) -> Decimal:
        """Truncate to the lot step (0 below one step)."""
        try:
            return Decimal(self.exchange.amount_to_precision(symbol, float(amount)))
        except Exception:  # noqa: BLE001 - ccxt raises InvalidOrder below the minimum precision
            return ZERO

    def price_to_precision(self, symbol: str, price: Decimal) -> Decimal:
        """Round to the tick size."""
        return Decimal(self.exchange.price_to_precision(symbol, float(price)))

    def submit(self, order: OrderIntent) -> OrderState:
        """Validate and fill (or rest) one order."""
        cid = order.client_order_id
        if cid and cid in self.by_client:
            return self._state(self.orders[self.by_client[cid]])
        m = self.markets().get(order.symbol)
        if m is None:
            raise OrderRejected(f"paper: unknown market {order.symbol}")
        amount = Decimal(str(order.amount))
        if self.amount_to_precision(order.symbol, amount) != amount:
            raise OrderRejected(f"paper {order.symbol}: amount {amount} is not a multiple of the lot step")
        if amount < m.min_amount:
            raise OrderRejected(f"paper {order.symbol}: amount {amount} below minimum {m.min_amount}")
        px = self.prices[order.symbol]
        if order.type == "market":
            fill_px = px * (1 + self.slip) if order.side == "buy" else px * (1 - self.slip)
            marketable = True
        else:
            if order.price is None:
                raise OrderRejected(f"paper {order.symbol}: limit order without price")
            fill_px = Decimal(str(order.price))
            marketable = fill_px >= px if order.side == "buy" else fill_px <= px
        if amount * fill_px < m.min_cost:
            raise OrderRejected(f"paper {order.symbol}: notional {amount * fill_px:.8f} below minimum {m.min_cost:f}")
        base, quote = m.base, m.quote
        need_cur, need = (quote, amount * fill_px) if order.side == "buy" else (base, amount)
        free = self.fetch_balance().free(need_cur)
        if need > free:
            raise OrderRejected(f"paper {order.symbol}: insufficient {need_cur} ({free} < {need})")
        oid = str(next(self._ids))
        o: dict[str, Any] = {"id": oid, "clientOrderId": cid, "symbol": order.symbol, "type": order.type,
                             "side": order.side, "amount": float(amount), "price": float(fill_px), "filled": 0.0,
                             "remaining": float(amount), "average": None, "status": "open", "fee": None, "trades": []}
        self.orders[oid] = o
        if cid:
            self.by_client[cid] = oid
        if marketable:
            self._fill(o, base, quote, amount, fill_px)
        return self._state(o)

    def _fill(self, o: dict[str, Any], base: str, quote: str, amount: Decimal, px: Decimal) -> None:
        cost = amount * px
        if o["side"] == "buy":
            fee, fee_cur = amount * self.fee_rate, base
            self.balances[quote] = self.balances.get(quote, ZERO) - cost
            self.balances[base] = self.balances.get(base, ZERO) + amount - fee
        else:
            fee, fee_cur = cost * self.fee_rate, quote
            self.balances[base] = self.balances.get(base, ZERO) - amount
            self.balances[quote] = self.balances.get(quote, ZERO) + cost - fee
        o.update(filled=float(amount), remaining=0.0, average=float(px), status="closed",
                 fee={"cost": float(fee), "currency": fee_cur})
        fill = Fill(symbol=o["symbol"], side=o["side"], amount=amount, price=px, fee=fee, fee_currency=fee_cur,
                    order_id=o["id"], client_order_id=o["clientOrderId"], timestamp=self.as_of)
        o["_fills"] = [fill]
        self.fills.append(fill)

    def order_fills(self, order: OrderState) -> list[Fill]:
        """Return the fills of a paper order."""
        o = self.orders.get(order.id)
        return list(o.get("_fills", [])) if o else list(order.fills)

    def place(self, orders: Sequence[OrderIntent]) -> list[Fill]:
        """Submit each order and return the fills."""
        out: list[Fill] = []
        for intent in orders:
            out.extend(self.order_fills(self.submit(intent)))
        return out
