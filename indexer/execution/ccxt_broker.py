"""``CcxtBroker``: any ccxt exchange as a :class:`~indexer.execution.broker.TradingBroker`.

ccxt exceptions are caught here and nowhere else.  Retried with exponential
backoff (floor: ``backoff_s`` or the exchange's ``rateLimit``, and a
``Retry-After`` header when sent; cap ``max_backoff_s``; ``max_retries``
attempts after the first), then surfaced as :class:`RetryableExecutionError`:

* ccxt ``NetworkError`` and its subclasses (``RequestTimeout``,
  ``ExchangeNotAvailable``, ``OnMaintenance``, ``DDoSProtection``,
  ``RateLimitExceeded``);
* errors the exchange documents as retryable although ccxt maps them
  elsewhere: Binance ``-1001`` (internal error, "Please try again"; ccxt's
  ``OperationFailed``), ``-1003`` (too many requests), ``-1007`` (timeout,
  outcome unknown) - see :data:`RETRYABLE_CODES`;
* a timestamp error (Binance ``-1021``, ccxt ``InvalidNonce``): the clock
  offset is synced first (ccxt ``load_time_difference`` and
  ``options["adjustForTimeDifference"]``), then the call is retried.

``InsufficientFunds``, ``InvalidOrder``, ``BadSymbol`` (and ``BadRequest`` on
order placement) become :class:`OrderRejected` with the exchange's message and
are never retried as they are; anything else becomes :class:`ExecutionError`.

ccxt's dicts are converted into the frozen types of
:mod:`indexer.execution.types` here (:func:`market_from_ccxt`,
:func:`order_from_ccxt`, ...): nothing above this module sees them.

Order placement is idempotent: every order carries a client order id; after a
retryable failure the broker looks the order up by that id before resubmitting,
and a "duplicate order" answer resolves to the existing order.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import ccxt
import pandas as pd

from indexer._typing import Fill, Holdings, OrderIntent
from indexer.exceptions import ConfigError, ExecutionError, OrderRejected, RetryableExecutionError
from indexer.execution.ccxt_convert import (
    balance_from_ccxt,
    book_from_ccxt,
    fills_from_trades,
    market_from_ccxt,
    markets_from_ccxt,
    order_from_ccxt,
)
from indexer.execution.credentials import Credentials, RedactingLogger, load_credentials, redact, settings_credentials
from indexer.execution.settings import ExchangeSettings
from indexer.execution.types import AccountBalance, Market, OrderBook, OrderState

ZERO = Decimal(0)

__all__ = ["CcxtBroker", "fills_from_trades", "market_from_ccxt", "markets_from_ccxt", "order_from_ccxt",
           "book_from_ccxt", "balance_from_ccxt", "RETRYABLE_CODES"]

log = logging.getLogger(__name__)
T = TypeVar("T")
REJECT = (ccxt.InsufficientFunds, ccxt.InvalidOrder, ccxt.BadSymbol)
#: Exchange error codes documented as "try again" (Binance spot REST error codes).
RETRYABLE_CODES = ("-1001", "-1003", "-1007")
TIME_CODES = ("-1021",)


def _clean(msg: str, secrets: Sequence[str] = ()) -> str:
    return redact(msg, list(secrets))


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

    Attributes
    ----------
    account_key
        16 hex digits identifying the account (hash of exchange, sandbox, API
        endpoints and API key; the key itself is not recoverable from it).
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
        ident = json.dumps([exchange_id, sandbox, creds.api_key if creds else None, self.exchange.urls.get("api")],
                           sort_keys=True, default=str)
        self.account_key = hashlib.sha256(ident.encode()).hexdigest()[:16]  # which account: no key in clear
        self.max_retries, self.backoff_s, self.max_backoff_s = max_retries, backoff_s, max_backoff_s
        self._sleep = sleep
        self.retries = 0  # retryable failures seen (for reports and tests)
        self.time_syncs = 0  # clock offset syncs after timestamp errors
        self._markets: dict[str, Market] | None = None

    @classmethod
    def from_settings(cls, settings: ExchangeSettings, **kwargs: Any) -> CcxtBroker:
        """Build from :class:`~indexer.execution.settings.ExchangeSettings`.

        Keys come from the named environment variables or key file, else
        ``INDEXER_<EXCHANGE>_API_KEY`` / ``_SECRET``.
        """
        kwargs.setdefault("credentials", settings_credentials(settings))
        return cls(
            settings.id, sandbox=settings.sandbox, options=settings.options, urls=settings.urls,
            timeout_ms=settings.timeout_ms, quote=settings.quote, max_retries=settings.max_retries,
            backoff_s=settings.backoff_s, max_backoff_s=settings.max_backoff_s,
            rate_limit=settings.rate_limit, **kwargs,
        )

    def _logger(self, exchange_id: str) -> RedactingLogger:
        return RedactingLogger(logging.getLogger(f"indexer.execution.ccxt.{exchange_id}"), self._secrets)

    def __repr__(self) -> str:
        """Return the exchange id and whether keys are set (never the keys)."""
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

    @staticmethod
    def _codes(exc: Exception) -> set[str]:
        import re

        return set(re.findall(r'"code"\s*:\s*(-?\d+)', str(exc))) | set(re.findall(r"(-1\d{3})\b", str(exc)))

    def retryable(self, exc: Exception) -> bool:
        """Whether ``exc`` is a transient error worth retrying (see module docstring)."""
        if isinstance(exc, ccxt.NetworkError):
            return True
        return isinstance(exc, (ccxt.ExchangeError, ccxt.OperationFailed)) and bool(
            self._codes(exc) & set(RETRYABLE_CODES + TIME_CODES))

    def _clock_error(self, exc: Exception) -> bool:
        return isinstance(exc, ccxt.InvalidNonce) or bool(self._codes(exc) & set(TIME_CODES))

    def sync_time(self) -> int | None:
        """Sync the clock offset with the exchange (ccxt ``load_time_difference``); offset in ms, or None."""
        self.exchange.options["adjustForTimeDifference"] = True
        try:
            offset = int(self.exchange.load_time_difference())
        except (ccxt.BaseError, AttributeError, TypeError) as exc:
            log.warning("%s: could not sync the clock offset: %s", self.id, _clean(str(exc), self._secrets))
            return None
        self.time_syncs += 1
        log.warning("%s: clock offset to the exchange %d ms, synced", self.id, offset)
        return offset

    def _before_retry(self, exc: Exception, what: str, attempt: int) -> None:
        self.retries += 1
        if self._clock_error(exc):
            self.sync_time()
        delay = self._delay(attempt)
        log.warning("%s %s: %s; retry %d in %.2fs", self.id, what, type(exc).__name__, attempt + 1, delay)
        self._sleep(delay)

    def _translate(self, exc: Exception, what: str, *, order: bool = False) -> ExecutionError:
        msg = f"{self.id} {what}: {_clean(str(exc), self._secrets)}"
        if self.retryable(exc):
            return RetryableExecutionError(msg)
        if isinstance(exc, REJECT) or (order and isinstance(exc, ccxt.BadRequest)):
            return OrderRejected(msg)
        if isinstance(exc, ccxt.AuthenticationError):
            return ExecutionError(f"{self.id} {what}: authentication failed (check the API key and its permissions)")
        return ExecutionError(msg)

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ccxt, retrying only its retryable errors."""
        for attempt in range(self.max_retries + 1):
            try:
                return fn(*args, **kwargs)
            except ccxt.BaseError as exc:
                if isinstance(exc, (ccxt.OrderNotFound,)) or not self.retryable(exc):
                    raise self._translate(exc, what) from None
                if attempt == self.max_retries:
                    self.retries += 1
                    raise self._translate(exc, f"{what} failed after {attempt + 1} attempts") from None
                self._before_retry(exc, what, attempt)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ Broker
    def markets(self) -> Mapping[str, Market]:
        """Markets by symbol (loaded once), as :class:`Market`."""
        raw = self._call("load_markets", self.exchange.load_markets)
        if self._markets is None or len(self._markets) != len(raw):
            self._markets = markets_from_ccxt(raw)
        return self._markets

    def fetch_balance(self) -> AccountBalance:
        """Free, locked (``used``) and total balance per currency."""
        bal = self._call("fetch_balance", self.exchange.fetch_balance)
        return balance_from_ccxt(bal, self.quote, pd.Timestamp.now(tz="UTC"))

    def fetch_holdings(self) -> Holdings:
        """Total (free + used) balances, zero balances dropped."""
        return self.fetch_balance().holdings()

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

    def fetch_order_book(self, symbol: str, limit: int = 20) -> OrderBook:
        """Order book (bids / asks, best first)."""
        return book_from_ccxt(symbol, self._call(f"fetch_order_book {symbol}", self.exchange.fetch_order_book,
                                                 symbol, limit))

    def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """Open orders (all markets when ``symbol`` is None)."""
        if symbol is None:
            self.exchange.options["warnOnFetchOpenOrdersWithoutSymbol"] = False
        return [order_from_ccxt(o) for o in self._call("fetch_open_orders", self.exchange.fetch_open_orders, symbol)]

    def cancel(self, order_id: str, symbol: str) -> None:
        """Cancel an order; an order already gone is not an error."""
        try:
            self._call(f"cancel_order {symbol} {order_id}", self.exchange.cancel_order, order_id, symbol)
        except OrderRejected as exc:  # OrderNotFound is an InvalidOrder: filled or cancelled meanwhile
            log.info("%s", exc)

    def fetch_order(
        self, symbol: str, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState | None:
        """Fetch an order by id or client id; ``None`` if the exchange does not know it."""
        params = {"clientOrderId": client_order_id} if client_order_id and not order_id else {}
        try:
            raw = self._call(f"fetch_order {symbol}", self._fetch_order_raw, order_id, symbol, params)
        except _NotFound:
            return None
        return order_from_ccxt(raw, self._trades_in(raw))

    def _fetch_order_raw(self, order_id: str | None, symbol: str, params: dict[str, Any]) -> Mapping[str, Any]:
        try:
            return self.exchange.fetch_order(order_id, symbol, params)
        except ccxt.OrderNotFound:
            raise _NotFound() from None

    @staticmethod
    def _trades_in(raw: Mapping[str, Any]) -> list[Fill]:
        trades = raw.get("trades") or []
        return fills_from_trades(trades, raw.get("clientOrderId"), raw.get("side")) if trades else []

    def submit(self, order: OrderIntent) -> OrderState:
        """Place one order idempotently (see module docstring)."""
        cid = order.client_order_id
        params = {"clientOrderId": cid} if cid else {}
        price = float(order.price) if order.price is not None else None
        what = f"create_order {order.side} {order.amount} {order.symbol} ({cid or 'no client id'})"
        for attempt in range(self.max_retries + 1):
            try:
                raw = self.exchange.create_order(order.symbol, order.type, order.side, float(order.amount), price,
                                                 params)
                return order_from_ccxt(raw, self._trades_in(raw))
            except ccxt.InvalidOrder as exc:
                if cid and "duplicate" in str(exc).lower():
                    found = self.fetch_order(order.symbol, client_order_id=cid)
                    if found is not None:
                        return found
                raise self._translate(exc, what, order=True) from None
            except ccxt.BaseError as exc:
                if not self.retryable(exc):
                    raise self._translate(exc, what, order=True) from None
                if not cid:
                    self.retries += 1
                    raise self._translate(exc, what + ": outcome unknown, not retried without a client id") from None
                if attempt == self.max_retries:
                    self.retries += 1
                    raise self._translate(exc, f"{what} failed after {attempt + 1} attempts") from None
                self._before_retry(exc, what + " (checking the client id first)", attempt)
                found = self.fetch_order(order.symbol, client_order_id=cid)
                if found is not None:
                    log.info("%s: order %s was placed despite the error; not resubmitted", self.id, cid)
                    return found
        raise AssertionError("unreachable")

    def order_fills(self, order: OrderState) -> list[Fill]:
        """Return the executions of ``order``: its own trades, else ``fetch_my_trades``, else one fill at its average."""
        if not order.filled:
            return []
        if order.fills:
            return list(order.fills)
        if self.exchange.has.get("fetchMyTrades"):
            trades = self._call(f"fetch_my_trades {order.symbol}", self.exchange.fetch_my_trades,
                                order.symbol, None, None, {"orderId": order.id})
            trades = [t for t in trades if str(t.get("order")) == str(order.id)]
            if trades:
                return fills_from_trades(trades, order.client_order_id, order.side)
        return [Fill(symbol=order.symbol, side=order.side, amount=order.filled,  # type: ignore[arg-type]
                     price=order.average or order.price or ZERO, fee=order.fee, fee_currency=order.fee_currency,
                     order_id=order.id, client_order_id=order.client_order_id)]

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
