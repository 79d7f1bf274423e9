"""``CcxtBroker``: any ccxt exchange as a :class:`~indexer.execution.broker.TradingBroker`.

ccxt exceptions are caught here and nowhere else: ``NetworkError`` and its
subclasses (``RateLimitExceeded``, ``DDoSProtection``, ``RequestTimeout``,
``ExchangeNotAvailable``, ``InvalidNonce``) are retried with exponential
backoff whose floor is the exchange's ``rateLimit`` (and a ``Retry-After``
header when sent), then surface as :class:`RetryableExecutionError`;
``InsufficientFunds``, ``InvalidOrder``, ``BadSymbol`` (and ``BadRequest`` on
order placement) become :class:`OrderRejected` with the exchange's message and
are never retried; anything else becomes :class:`ExecutionError`.

Order placement is idempotent: every order carries a client order id; after a
retryable failure the broker looks the order up by that id before resubmitting,
and a "duplicate order" answer resolves to the existing order.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence, TypeVar

import ccxt
import pandas as pd

from indexer._typing import Fill, Holdings, OrderIntent
from indexer.exceptions import ConfigError, ExecutionError, OrderRejected, RetryableExecutionError
from indexer.execution.credentials import Credentials, RedactingLogger, load_credentials, redact
from indexer.execution.settings import ExchangeSettings

__all__ = ["CcxtBroker", "fills_from_trades"]

log = logging.getLogger(__name__)
T = TypeVar("T")
REJECT = (ccxt.InsufficientFunds, ccxt.InvalidOrder, ccxt.BadSymbol)


def _clean(msg: str, secrets: Sequence[str] = ()) -> str:
    return redact(msg, list(secrets))


def fills_from_trades(trades: Sequence[Mapping[str, Any]], client_order_id: str | None = None,
                      side: str | None = None) -> list[Fill]:
    """ccxt trade structures -> :class:`Fill` (Decimal amounts); ``side`` fills in a missing trade side."""
    out = []
    for t in trades:
        fee = t.get("fee") or {}
        ts = t.get("timestamp")
        out.append(Fill(
            symbol=t["symbol"], side=t.get("side") or side, amount=Decimal(str(t["amount"])), price=Decimal(str(t["price"])),
            fee=Decimal(str(fee.get("cost") or 0)), fee_currency=fee.get("currency") or "",
            order_id=str(t.get("order") or ""), client_order_id=client_order_id,
            timestamp=pd.Timestamp(ts, unit="ms", tz="UTC") if ts else None,
        ))
    return out


class CcxtBroker:
    """An exchange account through ccxt (see module docstring).

    Parameters
    ----------
    exchange_id
        ccxt exchange id, e.g. ``"binance"``.
    credentials
        API keys; ``None`` loads them from the environment / key file, and a
        broker without keys can still read markets and prices.
    sandbox
        Use the exchange's sandbox (``set_sandbox_mode``); ``ConfigError`` when it has none.
    options, urls
        Passed to ccxt: ``options`` are merged into ``exchange.options``; each
        ``urls`` entry replaces / updates ``exchange.urls`` (e.g. ``{"api": {...}}``
        to point the real client at the loopback simulator).
    rate_limit
        ccxt's client-side throttle (``enableRateLimit``); keep it on for real
        exchanges (a loopback rehearsal may switch it off).
    """

    def __init__(
        self,
        exchange_id: str = "binance",
        *,
        credentials: Credentials | None = None,
        key_file: str | None = None,
        sandbox: bool = False,
        options: Mapping[str, Any] | None = None,
        urls: Mapping[str, Any] | None = None,
        timeout_ms: int = 10_000,
        quote: str = "USDT",
        max_retries: int = 4,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        rate_limit: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if exchange_id not in ccxt.exchanges:
            raise ConfigError(f"unknown ccxt exchange id {exchange_id!r}")
        creds = credentials if credentials is not None else load_credentials(exchange_id, key_file=key_file)
        self._secrets = creds.secrets() if creds else []
        config: dict[str, Any] = {"enableRateLimit": bool(rate_limit), "timeout": int(timeout_ms)}
        if creds:
            config.update(creds.ccxt_config())
        self.exchange = getattr(ccxt, exchange_id)(config)
        self.exchange.logger = self._logger(exchange_id)
        if exchange_id.startswith("binance"):
            # a spot rebalancer: no futures / margin / wallet endpoints (they also need extra permissions)
            self.exchange.options.update({"fetchCurrencies": False, "fetchMargins": False,
                                          "fetchMarkets": {"types": ["spot"]}, "defaultType": "spot"})
        self.exchange.options.update(dict(options or {}))
        if sandbox:
            if not self.exchange.urls.get("test"):
                raise ConfigError(f"{exchange_id} offers no sandbox in ccxt; set sandbox: false")
            try:
                self.exchange.set_sandbox_mode(True)
            except ccxt.NotSupported:
                raise ConfigError(f"{exchange_id} offers no sandbox in ccxt; set sandbox: false") from None
        for key, value in (urls or {}).items():
            current = self.exchange.urls.get(key)
            if isinstance(current, dict) and isinstance(value, Mapping):
                self.exchange.urls[key] = {**current, **value}
            else:
                self.exchange.urls[key] = value
        self.id, self.quote = exchange_id, quote
        self.max_retries, self.backoff_s, self.max_backoff_s = max_retries, backoff_s, max_backoff_s
        self._sleep = sleep
        self.retries = 0  # retryable failures seen (for reports and tests)

    @classmethod
    def from_settings(cls, settings: ExchangeSettings, **kwargs: Any) -> "CcxtBroker":
        """Build from :class:`~indexer.execution.settings.ExchangeSettings`."""
        return cls(
            settings.exchange, key_file=str(settings.key_file) if settings.key_file else None,
            sandbox=settings.sandbox, options=settings.options, urls=settings.urls,
            timeout_ms=settings.timeout_ms, quote=settings.quote, max_retries=settings.max_retries,
            backoff_s=settings.backoff_s, max_backoff_s=settings.max_backoff_s,
            rate_limit=settings.rate_limit, **kwargs,
        )

    def _logger(self, exchange_id: str) -> RedactingLogger:
        return RedactingLogger(logging.getLogger(f"indexer.execution.ccxt.{exchange_id}"), self._secrets)

    def __repr__(self) -> str:
        return f"CcxtBroker({self.id!r}, authenticated={bool(self._secrets)})"

    # ------------------------------------------------------------------ errors
    def _delay(self, attempt: int) -> float:
        floor = max(self.backoff_s, float(getattr(self.exchange, "rateLimit", 0) or 0) / 1000.0)
        delay = min(self.max_backoff_s, floor * (2**attempt))
        headers = getattr(self.exchange, "last_response_headers", None) or {}
        retry_after = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        try:
            if retry_after is not None:
                delay = max(delay, min(self.max_backoff_s, float(retry_after)))
        except ValueError:
            pass
        return delay

    def _translate(self, exc: Exception, what: str, *, order: bool = False) -> ExecutionError:
        msg = f"{self.id} {what}: {_clean(str(exc), self._secrets)}"
        if isinstance(exc, REJECT) or (order and isinstance(exc, ccxt.BadRequest)):
            return OrderRejected(msg)
        if isinstance(exc, ccxt.NetworkError):
            return RetryableExecutionError(msg)
        if isinstance(exc, ccxt.AuthenticationError):
            return ExecutionError(f"{self.id} {what}: authentication failed (check the API key and its permissions)")
        return ExecutionError(msg)

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ccxt, retrying only its retryable errors."""
        for attempt in range(self.max_retries + 1):
            try:
                return fn(*args, **kwargs)
            except ccxt.NetworkError as exc:
                self.retries += 1
                if attempt == self.max_retries:
                    raise self._translate(exc, f"{what} failed after {attempt + 1} attempts") from None
                delay = self._delay(attempt)
                log.warning("%s %s: %s; retry %d in %.2fs", self.id, what, type(exc).__name__, attempt + 1, delay)
                self._sleep(delay)
            except ccxt.BaseError as exc:
                raise self._translate(exc, what) from None
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ Broker
    def markets(self) -> Mapping[str, Mapping[str, Any]]:
        """ccxt markets (loaded once)."""
        return self._call("load_markets", self.exchange.load_markets)

    def fetch_holdings(self) -> Holdings:
        """Total (free + used) balances, zero balances dropped."""
        bal = self._call("fetch_balance", self.exchange.fetch_balance)
        total = {c: Decimal(str(v)) for c, v in (bal.get("total") or {}).items() if v}
        return Holdings(balances=total, quote=self.quote, as_of=pd.Timestamp.now(tz="UTC"))

    def fetch_prices(self, symbols: Sequence[str]) -> Mapping[str, Decimal]:
        """Mid of bid/ask (else last) per symbol."""
        self.markets()
        tickers = self._call("fetch_tickers", self.exchange.fetch_tickers, list(symbols))
        out = {}
        for sym in symbols:
            t = tickers.get(sym)
            if not t:
                raise ExecutionError(f"{self.id}: no ticker for {sym}")
            bid, ask, last = t.get("bid"), t.get("ask"), t.get("last")
            if bid and ask:
                out[sym] = (Decimal(str(bid)) + Decimal(str(ask))) / 2
            elif last:
                out[sym] = Decimal(str(last))
            else:
                raise ExecutionError(f"{self.id}: ticker of {sym} has no price")
        return out

    def fetch_order_book(self, symbol: str, limit: int = 20) -> Mapping[str, Any]:
        """Order book (bids / asks)."""
        return self._call(f"fetch_order_book {symbol}", self.exchange.fetch_order_book, symbol, limit)

    def open_orders(self, symbol: str | None = None) -> list[Mapping[str, Any]]:
        """Open orders (all markets when ``symbol`` is None)."""
        if symbol is None:
            self.exchange.options["warnOnFetchOpenOrdersWithoutSymbol"] = False
        return self._call("fetch_open_orders", self.exchange.fetch_open_orders, symbol)

    def cancel(self, order_id: str, symbol: str) -> None:
        """Cancel an order; an order already gone is not an error."""
        try:
            self._call(f"cancel_order {symbol} {order_id}", self.exchange.cancel_order, order_id, symbol)
        except OrderRejected as exc:  # OrderNotFound is an InvalidOrder: filled or cancelled meanwhile
            log.info("%s", exc)

    def fetch_order(
        self, symbol: str, order_id: str | None = None, client_order_id: str | None = None
    ) -> Mapping[str, Any] | None:
        """An order by id or client id; ``None`` if the exchange does not know it."""
        params = {"clientOrderId": client_order_id} if client_order_id and not order_id else {}
        try:
            return self._call(f"fetch_order {symbol}", self._fetch_order_raw, order_id, symbol, params)
        except _NotFound:
            return None

    def _fetch_order_raw(self, order_id: str | None, symbol: str, params: dict[str, Any]) -> Mapping[str, Any]:
        try:
            return self.exchange.fetch_order(order_id, symbol, params)
        except ccxt.OrderNotFound:
            raise _NotFound() from None

    def submit(self, order: OrderIntent) -> Mapping[str, Any]:
        """Place one order idempotently (see module docstring)."""
        cid = order.client_order_id
        params = {"clientOrderId": cid} if cid else {}
        price = float(order.price) if order.price is not None else None
        what = f"create_order {order.side} {order.amount} {order.symbol} ({cid or 'no client id'})"
        for attempt in range(self.max_retries + 1):
            try:
                return self.exchange.create_order(order.symbol, order.type, order.side, float(order.amount), price, params)
            except ccxt.NetworkError as exc:
                self.retries += 1
                if not cid:
                    raise self._translate(exc, what + ": outcome unknown, not retried without a client id") from None
                if attempt == self.max_retries:
                    raise self._translate(exc, f"{what} failed after {attempt + 1} attempts") from None
                delay = self._delay(attempt)
                log.warning("%s %s: %s; checking client id before retry %d in %.2fs",
                            self.id, what, type(exc).__name__, attempt + 1, delay)
                self._sleep(delay)
                found = self.fetch_order(order.symbol, client_order_id=cid)
                if found is not None:
                    log.info("%s: order %s was placed despite the error; not resubmitted", self.id, cid)
                    return found
            except ccxt.InvalidOrder as exc:
                if cid and "duplicate" in str(exc).lower():
                    found = self.fetch_order(order.symbol, client_order_id=cid)
                    if found is not None:
                        return found
                raise self._translate(exc, what, order=True) from None
            except ccxt.BaseError as exc:
                raise self._translate(exc, what, order=True) from None
        raise AssertionError("unreachable")

    def order_fills(self, order: Mapping[str, Any]) -> list[Fill]:
        """Executions of ``order`` from ``fetch_my_trades`` (falls back to the order's own trades)."""
        if not order.get("filled"):
            return []
        trades = order.get("trades") or []
        if not trades and self.exchange.has.get("fetchMyTrades"):
            trades = self._call(f"fetch_my_trades {order['symbol']}", self.exchange.fetch_my_trades,
                                order["symbol"], None, None, {"orderId": order["id"]})
            trades = [t for t in trades if str(t.get("order")) == str(order["id"])]
        if trades:
            return fills_from_trades(trades, order.get("clientOrderId"), order.get("side"))
        fee = order.get("fee") or {}
        return [Fill(symbol=order["symbol"], side=order["side"], amount=Decimal(str(order["filled"])),
                     price=Decimal(str(order.get("average") or order.get("price"))),
                     fee=Decimal(str(fee.get("cost") or 0)), fee_currency=fee.get("currency") or "",
                     order_id=str(order["id"]), client_order_id=order.get("clientOrderId"))]

    def place(self, orders: Sequence[OrderIntent]) -> list[Fill]:
        """Submit each order (idempotently) and return the fills known right after."""
        fills: list[Fill] = []
        for intent in orders:
            fills.extend(self.order_fills(self.submit(intent)))
        return fills

    def amount_to_precision(self, symbol: str, amount: Decimal) -> Decimal:
        """Truncate to the lot step with ccxt's own ``amount_to_precision`` (0 below one step)."""
        try:
            return Decimal(self.exchange.amount_to_precision(symbol, float(amount)))
        except ccxt.InvalidOrder:
            return Decimal(0)

    def price_to_precision(self, symbol: str, price: Decimal) -> Decimal:
        """Round to the tick size with ccxt's own ``price_to_precision``."""
        return Decimal(self.exchange.price_to_precision(symbol, float(price)))


class _NotFound(Exception):
    """Internal: the exchange does not know an order."""
