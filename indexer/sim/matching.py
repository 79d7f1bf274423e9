"""The simulator's matching engine: balances, a synthetic book, orders and trades.

All quantities are ``Decimal``.  The book is regenerated around each market's
mid price on every request (liquidity does not deplete between orders): ``levels``
price levels per side spaced ``level_bps`` apart starting ``half_spread_bps``
from the mid, each holding about ``depth_usd`` of value (seeded noise).  Market
orders walk it; what the book cannot fill expires (Binance status ``EXPIRED``).
Limit orders that cross the book fill at once as takers; resting orders at or
through the mid fill as makers after ``limit_fill_delay`` seconds; passive orders
further away never fill (the executor's timeout path).  Fees are charged in the
received currency (Binance's default), ``fee_rate`` of the amount received.

Conditions of real accounts, for the scenario tests: ``drift_bps_per_order``
moves every mid up (or down, when negative) after each accepted order (prices
moving between the first order and the last); ``clock_skew_ms`` shifts the
exchange's clock against the client's (Binance ``-1021`` when the client is
more than 1 s ahead); :meth:`Engine.rest` places a resting order of someone
else (the user's own order locking funds).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from indexer.execution.market_filters import MarketFilters

__all__ = ["SimError", "SimOrder", "Engine"]

D = Decimal
ZERO = D(0)


class SimError(Exception):
    """A Binance-style error: HTTP status, error code and message."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


INSUFFICIENT = "Account has insufficient balance for requested action."


@dataclass
class SimOrder:
    """One order on the simulated exchange."""

    order_id: int
    client_order_id: str
    symbol: str  # exchange id, e.g. BTCUSDT
    side: str  # BUY / SELL
    type: str  # MARKET / LIMIT
    qty: Decimal
    price: Decimal
    time_ms: int
    status: str = "NEW"
    executed: Decimal = ZERO
    quote: Decimal = ZERO
    locked: Decimal = ZERO
    fills: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Binance ``GET /api/v3/order`` shape."""
        return {
            "symbol": self.symbol, "orderId": self.order_id, "orderListId": -1,
            "clientOrderId": self.client_order_id, "price": f"{self.price:.8f}",
            "origQty": f"{self.qty:.8f}", "executedQty": f"{self.executed:.8f}",
            "cummulativeQuoteQty": f"{self.quote:.8f}", "status": self.status,
            "timeInForce": "GTC", "type": self.type, "side": self.side, "stopPrice": "0.00000000",
            "icebergQty": "0.00000000", "time": self.time_ms, "updateTime": self.time_ms,
            "isWorking": True, "workingTime": self.time_ms, "origQuoteOrderQty": "0.00000000",
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }


class Engine:
    """In-memory exchange state, safe to call from the server's event loop thread."""

    def __init__(
        self,
        markets: Mapping[str, MarketFilters],
        prices: Mapping[str, float],
        balances: Mapping[str, Decimal | float | str],
        *,
        fee_rate: float = 0.001,
        seed: int = 0,
        depth_usd: float = 250_000.0,
        levels: int = 20,
        level_bps: float = 2.0,
        half_spread_bps: float = 1.0,
        limit_fill_delay: float = 0.3,
        bars: Mapping[str, Any] | None = None,
        drift_bps_per_order: float = 0.0,
        clock_skew_ms: int = 0,
    ) -> None:
        self.specs = {m.id: m for m in markets.values()}
        self.mids = {m.id: self._mid_from(prices, m) for m in markets.values()}
        self.balances: dict[str, Decimal] = {k: D(str(v)) for k, v in balances.items()}
        self.locked: dict[str, Decimal] = {}
        self.fee_rate = D(str(fee_rate))
        self.seed, self.depth_usd, self.levels = seed, depth_usd, levels
        self.level_bps, self.half_spread_bps = level_bps, half_spread_bps
        self.limit_fill_delay = limit_fill_delay
        #: daily closes (pd.Series, UTC index) by exchange id, served as klines
        self.bars: dict[str, Any] = dict(bars or {})
        self.orders: dict[int, SimOrder] = {}
        self.client_ids: dict[str, int] = {}
        self.trades: list[dict[str, Any]] = []
        self._next_id = 1000
        self._lock = threading.RLock()
        self.drift_bps_per_order = drift_bps_per_order
        self.clock_skew_ms = clock_skew_ms
        self.halted: set[str] = set()  # exchange ids of halted markets (status BREAK, orders refused)

    def now_ms(self) -> int:
        """Return the exchange's clock (epoch milliseconds, skewed by ``clock_skew_ms``)."""
        return int(time.time() * 1000) + int(self.clock_skew_ms)

    def move_prices(self, bps: float) -> None:
        """Move every mid by ``bps`` basis points (rounded to each market's tick)."""
        with self._lock:
            f = D(1) + D(str(bps)) / D(10_000)
            for sid, mid in self.mids.items():
                self.mids[sid] = (mid * f).quantize(self.specs[sid].tick_size)

    def rest(self, symbol_id: str, side: str, qty: Decimal, price: Decimal, client_id: str) -> SimOrder:
        """Place a resting limit order as someone else on this account.

        It locks funds and never fills while priced away from the mid.
        """
        return self.create(symbol_id, side, "LIMIT", D(str(qty)), D(str(price)), client_id)

    @staticmethod
    def _mid_from(prices: Mapping[str, float], m: MarketFilters) -> Decimal:
        base = float(prices[m.base])
        quote = 1.0 if m.quote in ("USDT", "USD") else float(prices[m.quote])
        return D(str(base / quote)).quantize(m.tick_size)

    # ---------------------------------------------------------------- market data
    def spec(self, symbol_id: str) -> MarketFilters:
        """Market filters by exchange id; ``-1121 Invalid symbol`` when unknown."""
        try:
            return self.specs[symbol_id]
        except KeyError:
            raise SimError(400, -1121, "Invalid symbol.") from None

    def book(self, symbol_id: str, limit: int | None = None) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """Synthetic (bids, asks) as (price, qty) lists, best first."""
        spec, mid = self.spec(symbol_id), self.mids[symbol_id]
        rng = random.Random(f"{self.seed}:{symbol_id}")
        tick = spec.tick_size
        bids: list[tuple[Decimal, Decimal]] = []
        asks: list[tuple[Decimal, Decimal]] = []
        mid_usd = float(mid) * (1.0 if spec.quote in ("USDT", "USD") else float(self._quote_usd(spec.quote)))
        for i in range(self.levels):
            off = mid * D(str((self.half_spread_bps + i * self.level_bps) / 1e4))
            off = max(off, tick * (i + 1))
            bp = ((mid - off) / tick).to_integral_value(ROUND_DOWN) * tick
            ap = -((-(mid + off)) / tick).to_integral_value(ROUND_DOWN) * tick
            for side, px in ((bids, bp), (asks, ap)):
                qty = D(str(self.depth_usd * rng.uniform(0.5, 1.5) / mid_usd))
                qty = (qty / spec.step_size).to_integral_value(ROUND_DOWN) * spec.step_size
                side.append((px, max(qty, spec.step_size)))
        n = limit or self.levels
        return bids[:n], asks[:n]

    def _quote_usd(self, quote: str) -> Decimal:
        return self.mids.get(f"{quote}USDT", D(1))

    def best(self, symbol_id: str) -> tuple[Decimal, Decimal]:
        """(best bid, best ask)."""
        bids, asks = self.book(symbol_id, 1)
        return bids[0][0], asks[0][0]

    # ---------------------------------------------------------------- balances
    def free(self, asset: str) -> Decimal:
        """Free balance of ``asset``."""
        return self.balances.get(asset, ZERO) - self.locked.get(asset, ZERO)

    def _credit(self, asset: str, amount: Decimal) -> None:
        self.balances[asset] = self.balances.get(asset, ZERO) + amount

    def account(self) -> list[dict[str, str]]:
        """Binance ``balances`` list (free / locked)."""
        with self._lock:
            self.poll()
            assets = sorted(set(self.balances) | set(self.locked))
            return [
                {"asset": a, "free": f"{self.free(a):.8f}", "locked": f"{self.locked.get(a, ZERO):.8f}"}
                for a in assets
            ]

    # ---------------------------------------------------------------- orders
    def _check_filters(self, spec: MarketFilters, otype: str, qty: Decimal, price: Decimal | None) -> None:
        if qty < spec.min_qty or qty > spec.max_qty or (qty - spec.min_qty) % spec.step_size != 0:
            raise SimError(400, -1013, "Filter failure: LOT_SIZE")
        if otype == "MARKET" and qty > spec.market_max_qty:
            raise SimError(400, -1013, "Filter failure: MARKET_LOT_SIZE")
        if otype == "LIMIT":
            if price is None or price < spec.min_price or price > spec.max_price or price % spec.tick_size != 0:
                raise SimError(400, -1013, "Filter failure: PRICE_FILTER")
        ref = price if otype == "LIMIT" and price is not None else self.mids[spec.id]
        if qty * ref < spec.min_notional:
            raise SimError(400, -1013, "Filter failure: NOTIONAL")

    def create(
        self, symbol_id: str, side: str, otype: str, qty: Decimal, price: Decimal | None,
        client_id: str | None, *, fill_fraction: Decimal | None = None,
    ) -> SimOrder:
        """Validate, accept and (for market / marketable orders) fill an order."""
        with self._lock:
            spec = self.spec(symbol_id)
            if symbol_id in self.halted:
                raise SimError(400, -1013, "Market is closed.")
            if side not in ("BUY", "SELL") or otype not in ("MARKET", "LIMIT"):
                raise SimError(400, -1116, "Invalid orderType.")
            self._check_filters(spec, otype, qty, price)
            if client_id and client_id in self.client_ids:
                raise SimError(400, -2010, "Duplicate order sent.")
            bids, asks = self.book(symbol_id)
            levels = asks if side == "BUY" else bids
            if otype == "LIMIT":
                assert price is not None
                levels = [(p, q) for p, q in levels if (p <= price if side == "BUY" else p >= price)]
            want = qty if fill_fraction is None else _floor(qty * fill_fraction, spec.step_size)
            fills, left = [], want
            if otype == "LIMIT" and fill_fraction is not None and price is not None:
                levels = [(price, want)]  # a counterparty takes part of the resting order at its limit
            for p, q in levels:
                if left <= 0:
                    break
                take = min(left, q)
                fills.append((p, take))
                left -= take
            filled = sum((q for _, q in fills), ZERO)
            cost = sum((p * q for p, q in fills), ZERO)
            if side == "BUY":
                need = cost + (qty - filled) * price if otype == "LIMIT" and price is not None else cost
                if need > self.free(spec.quote):
                    raise SimError(400, -2010, INSUFFICIENT)
            elif qty > self.free(spec.base):
                raise SimError(400, -2010, INSUFFICIENT)
            self._next_id += 1
            now = int(time.time() * 1000)
            order = SimOrder(self._next_id, client_id or f"sim{self._next_id}", symbol_id, side, otype,
                             qty, price if price is not None else ZERO, now)
            self.orders[order.order_id] = order
            self.client_ids[order.client_order_id] = order.order_id
            for p, q in fills:
                self._fill(order, spec, p, q, maker=False)
            rest = qty - order.executed
            if rest > 0:
                if otype == "MARKET":
                    order.status = "EXPIRED"
                else:
                    order.status = "PARTIALLY_FILLED" if order.executed > 0 else "NEW"
                    order.locked = rest * order.price if side == "BUY" else rest
                    asset = spec.quote if side == "BUY" else spec.base
                    self.locked[asset] = self.locked.get(asset, ZERO) + order.locked
            else:
                order.status = "FILLED"
            if self.drift_bps_per_order:
                self.move_prices(self.drift_bps_per_order)
            return order

    def _fill(self, order: SimOrder, spec: MarketFilters, price: Decimal, qty: Decimal, *, maker: bool) -> None:
        quote_qty = price * qty
        if order.side == "BUY":
            fee, fee_asset = qty * self.fee_rate, spec.base
            self._credit(spec.quote, -quote_qty)
            self._credit(spec.base, qty - fee)
        else:
            fee, fee_asset = quote_qty * self.fee_rate, spec.quote
            self._credit(spec.base, -qty)
            self._credit(spec.quote, quote_qty - fee)
        order.executed += qty
        order.quote += quote_qty
        trade_id = len(self.trades) + 1
        fill = {"price": f"{price:.8f}", "qty": f"{qty:.8f}", "commission": f"{fee:.8f}",
                "commissionAsset": fee_asset, "tradeId": trade_id}
        order.fills.append(fill)
        self.trades.append({
            "symbol": spec.id, "id": trade_id, "orderId": order.order_id, "orderListId": -1,
            "price": fill["price"], "qty": fill["qty"], "quoteQty": f"{quote_qty:.8f}",
            "commission": fill["commission"], "commissionAsset": fee_asset, "time": int(time.time() * 1000),
            "isBuyer": order.side == "BUY", "isMaker": maker, "isBestMatch": True,
        })

    def _release(self, order: SimOrder, spec: MarketFilters) -> None:
        asset = spec.quote if order.side == "BUY" else spec.base
        self.locked[asset] = self.locked.get(asset, ZERO) - order.locked
        order.locked = ZERO

    def poll(self) -> None:
        """Fill resting limit orders at or through the mid once they are old enough."""
        with self._lock:
            now = time.time() * 1000
            for o in self.orders.values():
                if o.status not in ("NEW", "PARTIALLY_FILLED") or now - o.time_ms < self.limit_fill_delay * 1000:
                    continue
                mid = self.mids[o.symbol]
                if (o.side == "BUY" and o.price >= mid) or (o.side == "SELL" and o.price <= mid):
                    spec = self.specs[o.symbol]
                    self._release(o, spec)
                    self._fill(o, spec, o.price, o.qty - o.executed, maker=True)
                    o.status = "FILLED"

    def find(self, symbol_id: str, order_id: str | None, client_id: str | None) -> SimOrder:
        """Find an order by id or client id; ``-2013 Order does not exist`` when unknown."""
        with self._lock:
            self.poll()
            oid = int(order_id) if order_id else self.client_ids.get(client_id or "")
            order = self.orders.get(oid) if oid is not None else None
            if order is None or order.symbol != symbol_id:
                raise SimError(400, -2013, "Order does not exist.")
            return order

    def cancel(self, symbol_id: str, order_id: str | None, client_id: str | None) -> SimOrder:
        """Cancel an open order; ``-2011 Unknown order sent.`` when not open."""
        with self._lock:
            try:
                order = self.find(symbol_id, order_id, client_id)
            except SimError:
                raise SimError(400, -2011, "Unknown order sent.") from None
            if order.status not in ("NEW", "PARTIALLY_FILLED"):
                raise SimError(400, -2011, "Unknown order sent.")
            self._release(order, self.specs[symbol_id])
            order.status = "CANCELED"
            return order

    def open_orders(self, symbol_id: str | None) -> list[SimOrder]:
        """Open orders, optionally of one market."""
        with self._lock:
            self.poll()
            return [o for o in self.orders.values() if o.status in ("NEW", "PARTIALLY_FILLED")
                    and (symbol_id is None or o.symbol == symbol_id)]


def _floor(x: Decimal, step: Decimal) -> Decimal:
    return (x / step).to_integral_value(ROUND_DOWN) * step
