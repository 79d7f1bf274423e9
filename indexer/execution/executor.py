"""Execute an :class:`~indexer.execution.planner.OrderPlan` on a broker.

Per leg: slice orders large relative to book depth (or above the market-order
maximum), place market orders, or limit orders at the mid or the near touch
that are cancelled after ``limit_timeout_s`` and then replaced at a fresh price
(``on_timeout="replace"``, up to ``max_replacements``) or completed with a
market order.  Partial fills leave a remainder that is re-sent as a market
order while it clears the market minimums.  Client order ids come from the run
id, leg and part (:func:`~indexer.execution.client_ids.client_order_id`), so
re-running a run never doubles an order.  At the end, orders of the run still
open are cancelled, and balances are reconciled with the pre-trade balances
plus the fills.

Re-size instead of abandon: before each buy leg the free balance of the
market's quote currency and the best ask are read again; when the leg and the
buys still to come no longer fit, the leg gets its pro-rata share of what is
free (rounded down to the lot step; ``resize_margin`` above the ask is allowed
for walking the book).  When the exchange still answers "insufficient
balance", the leg is re-sized once from a fresh free balance under a new client
id (never resent at the same size).  ``ExecutionReport.adjustments`` lists every
leg that was cut or skipped and why.

Persistence: :class:`~indexer.execution.recovery.ExecutionHooks` hear of every
order before it is sent (``on_intent``) and after (``on_sent``, ``on_fill``,
``on_rejected``); ``execute(..., known=...)`` resumes a partly executed run
from what the hooks recorded (see :mod:`indexer.execution.recovery`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

import pandas as pd

from indexer._typing import CASH, Fill, Holdings, OrderIntent
from indexer.exceptions import ComplianceError, OrderRejected, RetryableExecutionError
from indexer.execution.broker import TradingBroker
from indexer.execution.client_ids import client_order_id
from indexer.execution.planner import OrderPlan, PlannedOrder
from indexer.execution.recovery import ExecutionHooks, KnownOrder, LegProgress, recover
from indexer.execution.types import Market, OrderState

__all__ = ["ExecutorSettings", "ExecutionReport", "execute", "check_compliance"]

log = logging.getLogger(__name__)
ZERO = Decimal(0)


@dataclass(frozen=True)
class ExecutorSettings:
    """How to work the orders of a plan."""

    order_type: Literal["market", "limit"] = "market"
    limit_price: Literal["mid", "touch"] = "mid"
    limit_timeout_s: float = 10.0
    on_timeout: Literal["market", "replace"] = "market"
    max_replacements: int = 2
    poll_interval_s: float = 0.25
    max_book_fraction: float = 0.25
    depth_bps: float = 50.0
    max_remainder_orders: int = 3
    resize_margin: float = 0.001


@dataclass(frozen=True)
class ExecutionReport:
    """What happened: fills, fees, orders, post-trade balances and weights."""

    run_id: str
    quote: str
    plan: OrderPlan
    fills: tuple[Fill, ...]
    orders: tuple[OrderState, ...]
    fees: Mapping[str, Decimal]
    fees_quote: Decimal
    post_holdings: Holdings
    post_weights: pd.Series
    target_weights: pd.Series
    tracking_error: float
    errors: tuple[str, ...] = ()
    reconciliation: Mapping[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    retries: int = 0
    resumed: tuple[OrderState, ...] = ()
    interrupted: str | None = None
    adjustments: tuple[str, ...] = ()
    rejected: int = 0

    @property
    def ok(self) -> bool:
        """No leg failed and balances match the fills."""
        return not self.errors and not self.reconciliation

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (no credentials ever pass through here)."""
        return {
            "run_id": self.run_id, "quote": self.quote,
            "fills": [{"symbol": f.symbol, "side": f.side, "amount": str(f.amount), "price": str(f.price),
                       "fee": str(f.fee), "fee_currency": f.fee_currency, "client_order_id": f.client_order_id}
                      for f in self.fills],
            "fees": {c: str(v) for c, v in self.fees.items()}, "fees_quote": str(self.fees_quote),
            "post_weights": {k: float(v) for k, v in self.post_weights.items()},
            "tracking_error": self.tracking_error, "errors": list(self.errors), "retries": self.retries,
            "interrupted": self.interrupted, "resumed": [o.client_order_id for o in self.resumed],
            "adjustments": list(self.adjustments), "orders": len(self.orders), "rejected": self.rejected,
            "reconciliation": {k: [str(a), str(b)] for k, (a, b) in self.reconciliation.items()},
        }

    def __rich__(self) -> Any:
        """Render the report as a rich table."""
        from indexer.execution.views import report_view

        return report_view(self)


def check_compliance(plan: OrderPlan, compliance: Callable[[pd.Series], Any] | None) -> None:
    """Run ``compliance`` on the plan's expected weights; :class:`ComplianceError` listing the violations."""
    if compliance is None:
        return
    result = compliance(plan.expected_weights)
    if result:  # a checker may return its violations instead of raising
        items = result if isinstance(result, (list, tuple)) else [result]
        raise ComplianceError("pre-trade compliance failed: " + "; ".join(map(str, items)))


class _Leg:
    """Works one planned order into fills, telling ``hooks`` about every order."""

    def __init__(self, broker: TradingBroker, run_id: str, opts: ExecutorSettings, market: Market,
                 sleep: Callable[[float], None], hooks: ExecutionHooks) -> None:
        self.b, self.run_id, self.o, self.m, self.sleep, self.h = broker, run_id, opts, market, sleep, hooks
        self.orders: list[OrderState] = []
        self.fills: list[Fill] = []
        self.adjustments: list[str] = []
        self.rejected = 0
        self.resized = False

    def _tradeable(self, amount: Decimal, price: Decimal) -> bool:
        return self.m.tradeable(amount, price)

    def _dust(self, po: PlannedOrder, left: Decimal) -> bool:
        """Return True (and log when positive) if ``left`` is below the market minimums."""
        if self._tradeable(left, po.price):
            return False
        if left > 0:
            log.info("leg %d: remainder %s %s below the market minimum, left", po.leg, left, po.symbol)
        return True

    def slices(self, po: PlannedOrder, amount: Decimal) -> list[Decimal]:
        """Split ``amount`` so no slice exceeds a fraction of near-touch depth or the market max."""
        caps = []
        if self.m.max_market_amount:
            caps.append(self.m.max_market_amount)
        book = self.b.fetch_order_book(po.symbol, 50)
        side = book.asks if po.side == "buy" else book.bids
        if side:
            best = side[0].price
            f = Decimal(str(self.o.depth_bps / 1e4))
            lim = best * (1 + f) if po.side == "buy" else best * (1 - f)
            depth = sum((lv.amount for lv in side if (lv.price <= lim if po.side == "buy" else lv.price >= lim)), ZERO)
            caps.append(depth * Decimal(str(self.o.max_book_fraction)))
        cap = min(caps) if caps else amount
        n = max(1, math.ceil(amount / cap)) if cap > 0 else 1
        while n > 1 and not self._tradeable(self.b.amount_to_precision(po.symbol, amount / n), po.price):
            n -= 1
        if n == 1:
            return [amount]
        each = self.b.amount_to_precision(po.symbol, amount / n)
        return [each] * (n - 1) + [amount - each * (n - 1)]

    def _wait(self, order: OrderState, timeout: float) -> OrderState:
        deadline = time.monotonic() + timeout
        while not order.final and time.monotonic() < deadline:
            self.sleep(self.o.poll_interval_s)
            order = self.b.fetch_order(order.symbol, order_id=order.id) or order
        return order

    def _send(self, intent: OrderIntent, *, announce: bool = True) -> OrderState:
        """Record (``on_intent``), submit, acknowledge (``on_sent``) and wait for ``intent``."""
        if announce:
            self.h.on_intent(intent)
        try:
            order = self.b.submit(intent)
        except OrderRejected as exc:
            self.rejected += 1
            self.h.on_rejected(intent, exc)
            raise
        self.h.on_sent(intent, order)
        order = self._wait(order, self.o.limit_timeout_s)
        if intent.type == "limit" and not order.final:
            self.b.cancel(order.id, intent.symbol)
            order = self.b.fetch_order(intent.symbol, order_id=order.id) or order
        return order

    def _record(self, intent: OrderIntent, order: OrderState) -> Decimal:
        fills = self.b.order_fills(order)
        self.orders.append(order)
        self.fills.extend(fills)
        self.h.on_fill(intent, order, fills)
        return order.filled

    def _limit_price(self, po: PlannedOrder) -> Decimal:
        book = self.b.fetch_order_book(po.symbol, 5)
        bid, ask = book.bids[0].price, book.asks[0].price
        raw = (bid + ask) / 2 if self.o.limit_price == "mid" else (bid if po.side == "buy" else ask)
        return self.b.price_to_precision(po.symbol, raw)

    def ask(self, po: PlannedOrder) -> Decimal:
        """Best ask now plus ``resize_margin`` (what one unit of a buy may cost), else the planned price."""
        book = self.b.fetch_order_book(po.symbol, 5)
        px = book.asks[0].price if book.asks else po.price
        return px * (1 + Decimal(str(self.o.resize_margin)))

    def fit(self, po: PlannedOrder, amount: Decimal, later: Decimal = ZERO) -> tuple[Decimal, str]:
        """``amount`` of a buy cut to its share of the free quote balance; ``(amount, why)`` (why empty: uncut)."""
        px = self.ask(po)
        free = self.b.fetch_balance().free(self.m.quote)
        need = amount * px
        if need + later <= free:
            return amount, ""
        allowed = max(ZERO, free * need / (need + later)) if need + later > 0 else ZERO
        new = min(amount, self.b.amount_to_precision(po.symbol, allowed / px))
        why = (f"leg {po.leg} buy {po.symbol}: cut from {amount.normalize():f} to {new.normalize():f} "
               f"(free {free:.8g} {self.m.quote}, ask {px:.8g}"
               + (f", {later:.8g} {self.m.quote} reserved for later buys" if later else "") + ")")
        return new, why

    def run(self, po: PlannedOrder, done: LegProgress | None = None, later: Decimal = ZERO) -> None:
        """Execute ``po`` in slices; with ``done`` (recovery) only what earlier orders left to do.

        ``later``: quote the buys after this one still need (a buy is re-sized to its share of the free balance).
        """
        done = done or LegProgress()
        if done.rejected:  # the exchange refused this leg before: never retried blindly
            log.info("leg %d: rejected in an earlier attempt, not retried", po.leg)
            return
        left = po.amount - done.filled
        for intent in done.resend:  # recorded, never reached the exchange: send as recorded
            left -= self._record(intent, self._send(intent, announce=False))
        if left <= 0:
            return
        left = self.b.amount_to_precision(po.symbol, left) if done.filled or done.resend else left
        if po.side == "buy":
            left, why = self.fit(po, left, later)
            if why:
                self.adjustments.append(why + ("" if self._tradeable(left, po.price) else "; below the minimum, skipped"))
        if self._dust(po, left):
            return
        for k, amount in enumerate(self.slices(po, left)):
            self._slice(po, amount, base_part=done.next_part + k * 10)

    def _slice(self, po: PlannedOrder, amount: Decimal, base_part: int) -> None:
        part, left = base_part, amount
        if self.o.order_type == "limit":
            for _ in range(self.o.max_replacements + 1):
                intent = po.intent(self.run_id, type="limit", price=self._limit_price(po), amount=left, part=part)
                part += 1
                left -= self._record(intent, self._send(intent))
                if left <= 0 or self.o.on_timeout == "market" or not self._tradeable(left, po.price):
                    break
        for _ in range(self.o.max_remainder_orders + 1):
            left = self.b.amount_to_precision(po.symbol, left)
            if self._dust(po, left):
                return
            intent = po.intent(self.run_id, amount=left, part=part)
            part += 1
            try:
                left -= self._record(intent, self._send(intent))
            except OrderRejected as exc:
                if po.side != "buy" or self.resized or "insufficient" not in str(exc).lower():
                    raise
                self.resized = True  # re-size once from the fresh free balance, under a new client id
                new, why = self.fit(po, left)
                self.adjustments.append(f"leg {po.leg} buy {po.symbol}: rejected for insufficient balance; "
                                        + (why.split(": ", 1)[1] if why else "re-sent at the same size after "
                                           "the balance was read again"))
                left = new


def execute(
    plan: OrderPlan,
    broker: TradingBroker,
    run_id: str,
    *,
    options: ExecutorSettings | None = None,
    compliance: Callable[[pd.Series], Any] | None = None,
    progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    hooks: ExecutionHooks | None = None,
    known: Iterable[KnownOrder] = (),
) -> ExecutionReport:
    """Place the plan's orders in leg order and report fills, fees and post-trade weights.

    ``compliance`` (e.g. a wrapper of ``indexer.universe.compliance.check_weights``)
    is called with the plan's expected weights before any order; it raises
    :class:`ComplianceError` or returns violations, which abort the run.
    ``hooks`` (:class:`~indexer.execution.recovery.ExecutionHooks`) hear of
    every order before it is sent and after; ``known`` are the orders an
    interrupted execution of the same ``run_id`` recorded: they are settled
    first (:func:`~indexer.execution.recovery.recover`) and each leg only does
    what they left, so nothing is placed twice.  Rejected legs are reported and
    the run goes on; a retryable failure that outlasts the retries stops
    further legs (``report.interrupted``).  Either way the report says so.
    """
    opts = options or ExecutorSettings()
    hooks = hooks or ExecutionHooks()
    check_compliance(plan, compliance)
    markets = broker.markets()
    retries_before = int(getattr(broker, "retries", 0))
    progress_by_leg = recover(broker, known, hooks)
    resumed = tuple(o for p in progress_by_leg.values() for o in p.found)
    before = broker.fetch_holdings()
    fills: list[Fill] = []
    orders: list[OrderState] = []
    errors: list[str] = []
    adjustments: list[str] = []
    rejected = 0
    interrupted = None
    for i, po in enumerate(plan.orders):
        if progress:
            progress(f"leg {po.leg}: {po.side} {po.amount} {po.symbol}")
        m = markets[po.symbol]
        later = sum((o.amount * o.price for o in plan.orders[i + 1:]
                     if o.side == "buy" and markets[o.symbol].quote == m.quote), ZERO)
        leg = _Leg(broker, run_id, opts, m, sleep, hooks)
        try:
            leg.run(po, progress_by_leg.get(po.leg), later=later)
        except OrderRejected as exc:
            errors.append(f"leg {po.leg} {po.side} {po.symbol}: rejected: {exc}")
        except RetryableExecutionError as exc:
            interrupted = f"leg {po.leg} {po.side} {po.symbol}: gave up after retries: {exc}"
            errors.append(f"{interrupted}; later legs not placed")
            fills += leg.fills
            orders += leg.orders
            adjustments += leg.adjustments
            rejected += leg.rejected
            break
        fills += leg.fills
        orders += leg.orders
        adjustments += leg.adjustments
        rejected += leg.rejected
    prefix = client_order_id(run_id, 0).rsplit("-", 2)[0] + "-"
    for o in broker.open_orders(None) if plan.orders else []:
        if str(o.client_order_id or "").startswith(prefix):
            broker.cancel(o.id, o.symbol)
            errors.append(f"order {o.client_order_id} was still open and has been cancelled")
    after = broker.fetch_holdings()
    retries = int(getattr(broker, "retries", 0)) - retries_before
    report = _report(plan, run_id, before, after, fills, orders, errors, retries)
    return replace(report, resumed=resumed, interrupted=interrupted, adjustments=tuple(adjustments),
                   rejected=rejected)


def _report(plan: OrderPlan, run_id: str, before: Holdings, after: Holdings, fills: list[Fill],
            orders: list[OrderState], errors: list[str], retries: int) -> ExecutionReport:
    quote = plan.quote
    px = {a: Decimal(str(p)) for a, p in plan.asset_prices.items()}
    px[quote] = Decimal(1)
    fees: dict[str, Decimal] = {}
    expected = {c: Decimal(str(v)) for c, v in before.balances.items()}
    for f in fills:
        base, q = f.symbol.split("/")
        sign = 1 if f.side == "buy" else -1
        expected[base] = expected.get(base, ZERO) + sign * f.amount
        expected[q] = expected.get(q, ZERO) - sign * f.amount * f.price
        if f.fee:
            fees[f.fee_currency] = fees.get(f.fee_currency, ZERO) + f.fee
            expected[f.fee_currency] = expected.get(f.fee_currency, ZERO) - f.fee
    recon = {}
    for c in set(expected) | set(after.balances):
        e, a = expected.get(c, ZERO), Decimal(str(after.balances.get(c, ZERO)))
        if abs(e - a) > max(Decimal("1e-6"), abs(a) * Decimal("1e-6")):
            recon[c] = (e, a)
    values = {c: Decimal(str(v)) * px[c] for c, v in after.balances.items() if c in px}
    total = sum(values.values(), ZERO)
    post = pd.Series({(CASH if c == quote else c): float(v / total) for c, v in values.items()}) if total else pd.Series(dtype=float)
    tgt = plan.target_weights
    idx = post.index.union(tgt.index)
    te = 0.5 * float((post.reindex(idx, fill_value=0.0) - tgt.reindex(idx, fill_value=0.0)).abs().sum())
    fees_quote = sum((v * px.get(c, ZERO) for c, v in fees.items()), ZERO)
    return ExecutionReport(
        run_id=run_id, quote=quote, plan=plan, fills=tuple(fills), orders=tuple(orders), fees=fees,
        fees_quote=fees_quote, post_holdings=after, post_weights=post, target_weights=tgt, tracking_error=te,
        errors=tuple(errors), reconciliation=recon, retries=retries,
    )
