"""Order planner: balances + prices + target weights + markets -> :class:`OrderPlan`.

* ``CASH`` maps to the quote currency (e.g. USDT); every other asset trades on
  ``ASSET/QUOTE``, else via an intermediate (``ASSET/BTC`` then ``BTC/QUOTE``,
  or ETH), the intermediate's own trade netted with what the routed legs need.
* Amounts are truncated to the lot step (ccxt's ``amount_to_precision``) and
  checked against the minimum amount and minimum notional; what fails is
  skipped and reported as dust.  No order where the weight drift is below
  ``drift_threshold`` (full exits excepted): a held book whose every weight is
  within that band of the target gets no order (the no-trade region), so an
  immediate rerun places nothing.
* **Budget from free balances.**  Weights are of the whole account (free +
  locked), but only what can be spent funds the buys: the free quote balance
  plus the proceeds of the planned sells (sells use free quantities only).
  Funds locked in open orders are never counted as available.
* **Cash buffer.**  After trading at least ``cash_buffer`` of the value
  (default 0.3 %; with a larger cash target, that target less the buffer)
  stays in cash, absorbing fees (the market's taker rate, charged in the
  received currency; buys are grossed up for it) and price moves between
  planning and the last order.  The buffer is part of the plan's aim: when the
  target's cash is below it, every asset weight is scaled down together by
  ``(1 - buffer) / (1 - target cash)``, and weights are of the value after the
  plan's fees, so sells and buys land on the same book and a rerun finds every
  asset inside its band.
* **Funding converges.**  When the buys want more than is available they are
  scaled down together by one proportional factor and rounded down to the lot
  step (a second pass only corrects for lot rounding and dust), so it ends in
  a bounded number of steps for any book, including positions inside their
  drift band.  Legs that fall below the market minimums are dropped and
  reported (``skipped``); a plan is never refused for cents.
* **Untradeable assets** (no direct or routed market, market halted, target
  position below the market minimum) that the target wants follow
  ``untradeable``: ``redistribute`` (pro rata over the other invested assets
  within the strategy's ``caps``, the rest in cash; the default), ``cash``
  (their weight stays in cash) or ``fail`` (:class:`ExecutionError`), see
  :mod:`indexer.execution.untradeable`.  ``OrderPlan.untradeable`` lists them.
* Legs run sells first (routed sells, then direct sells), then buys (direct,
  then routed), so each buy is funded.
* The plan reports expected post-trade weights and the residual tracking error
  ``0.5 * sum(|w_expected - w_target|)`` over all lines including CASH: the
  fraction of portfolio value not where the target wants it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

import pandas as pd

from indexer._typing import CASH, Holdings, TargetPortfolio, WeightCaps
from indexer.exceptions import ExecutionError
from indexer.execution.order_plan import OrderPlan, PlannedOrder, SkippedTrade
from indexer.execution.routing import route, symbols_to_price
from indexer.execution.types import AccountBalance, Market
from indexer.execution.untradeable import UNTRADEABLE_POLICIES, Untradeable, UntradeablePolicy, apply_untradeable

__all__ = ["PlannedOrder", "SkippedTrade", "Untradeable", "OrderPlan", "plan_orders", "route", "symbols_to_price",
           "apply_untradeable", "UNTRADEABLE_POLICIES", "tracking_error"]

ZERO = Decimal(0)
Rounder = Callable[[str, Decimal], Decimal]


def plan_orders(
    target: TargetPortfolio,
    holdings: Holdings | AccountBalance,
    prices: Mapping[str, Decimal],
    markets: Mapping[str, Market],
    *,
    quote: str | None = None,
    drift_threshold: float = 0.001,
    cash_buffer: float = 0.003,
    fee_rate: float | None = None,
    intermediates: Iterable[str] = ("BTC", "ETH"),
    amount_to_precision: Rounder | None = None,
    untradeable: UntradeablePolicy = "redistribute",
    caps: WeightCaps | None = None,
) -> OrderPlan:
    """Plan the orders that move the account to ``target`` (see module docstring).

    Parameters
    ----------
    holdings
        An :class:`~indexer.execution.types.AccountBalance` (free / locked /
        total), or :class:`~indexer._typing.Holdings` (all of it free).
    prices
        Price per market symbol (from :func:`symbols_to_price`), market quote units.
    markets
        :class:`~indexer.execution.types.Market` by symbol.
    drift_threshold
        Minimum |target - current| weight (fraction) worth trading.
    cash_buffer
        Fraction of portfolio value that stays in cash at least (beyond a
        smaller cash target) against fees and price moves.
    fee_rate
        Fee fraction; default: each market's ``taker`` (else 0.001).
    amount_to_precision
        ``(symbol, amount) -> truncated amount``; default: the market's lot step.
    untradeable
        ``redistribute`` | ``cash`` | ``fail``: what to do with target assets
        the exchange cannot trade (see :mod:`indexer.execution.untradeable`).
    caps
        The strategy's weight caps, which ``redistribute`` respects (default: none).
    """
    bal = _as_balance(holdings)
    quote = quote or bal.quote
    inter = tuple(intermediates)
    book = _Book.of(bal, quote)
    wanted, dropped = apply_untradeable(target.weights, markets, quote, untradeable, inter, caps=caps)
    routes, skipped = _routes(set(_invested(wanted, quote).index) | set(book.qty), markets, quote, inter)
    px = _asset_prices(routes, prices, quote, inter)
    held = {a: book.qty.get(a, ZERO) * px[a] for a in routes}
    value = book.cash_total + sum(held.values(), ZERO)
    if value <= 0:
        raise ExecutionError("portfolio value is zero: nothing to rebalance")
    small = _too_small_to_open(_invested(wanted, quote), routes, px, prices, markets, book.qty, value, quote)
    if small:  # a position too small to open is untradeable too: same policy
        wanted, dropped = apply_untradeable(target.weights, markets, quote, untradeable, inter, caps=caps,
                                            also={**{u.asset: u.reason for u in dropped}, **small})
    cash_w = float(wanted.get(CASH, 0.0)) + float(wanted.get(quote, 0.0))
    w = _invested(wanted, quote)
    tw = {a: Decimal(str(float(w.get(a, 0.0)))) for a in routes}
    ctx = _Ctx(routes=routes, tw=_buffered(tw, cash_w, cash_buffer), qty=book.qty, free=book.free, px=px,
               prices=prices, markets=markets, quote=quote, value=value, base=value,
               threshold=Decimal(str(drift_threshold)), fee_of=_fee_rates(markets, fee_rate),
               rnd=amount_to_precision or (lambda sym, amt: markets[sym].round_amount(amt)))
    ctx = replace(ctx, base=value - _fees(ctx, book))  # weights of the value after this plan's fees
    keep = max(Decimal(str(cash_w)) - Decimal(str(cash_buffer)), Decimal(str(cash_buffer))) * ctx.base
    keep_free = max(ZERO, keep - (book.cash_total - book.cash_free))  # locked quote already stays
    orders, skip, scale, cash_after, qty_after, spent = _funded_legs(ctx, book.cash_free, keep_free)
    cash_end = cash_after + (book.cash_total - book.cash_free)
    expected = _weights({a: qty_after.get(a, ZERO) * px[a] for a in routes}, cash_end)
    tgt = pd.Series({**{a: float(t) for a, t in tw.items()}, CASH: cash_w})
    return OrderPlan(
        as_of=target.as_of, quote=quote, portfolio_value=value, orders=tuple(orders),
        skipped=tuple(skipped + skip), current_weights=_weights(held, book.cash_total), target_weights=tgt,
        expected_weights=expected, tracking_error=tracking_error(expected, tgt),
        fee_estimate=value - cash_end - sum((qty_after.get(a, ZERO) * px[a] for a in routes), ZERO),
        fee_reserve=Decimal(str(cash_buffer)) * value, asset_prices=px, untradeable=dropped,
        funding_scale=float(scale), available=cash_after + spent - keep_free,
    )


def tracking_error(weights: pd.Series, target: pd.Series) -> float:
    """``0.5 * sum |weights - target|`` over every line incl. CASH (fraction of value)."""
    idx = weights.index.union(target.index)
    return 0.5 * float((weights.reindex(idx, fill_value=0.0) - target.reindex(idx, fill_value=0.0)).abs().sum())


# -- the steps of plan_orders ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Book:
    """Quantities held: totals and free parts per asset (quote excluded), quote total and free."""

    qty: Mapping[str, Decimal]
    free: Mapping[str, Decimal]
    cash_total: Decimal
    cash_free: Decimal

    @classmethod
    def of(cls, bal: AccountBalance, quote: str) -> _Book:
        qty = {c: b.total for c, b in bal.balances.items() if b.total > 0}
        free = {c: b.free for c, b in bal.balances.items() if b.free > 0}
        return cls(qty, free, qty.pop(quote, ZERO), free.pop(quote, ZERO))


def _as_balance(holdings: Holdings | AccountBalance) -> AccountBalance:
    if isinstance(holdings, AccountBalance):
        return holdings
    return AccountBalance.from_totals({c: Decimal(str(v)) for c, v in holdings.balances.items()}, holdings.quote,
                                      holdings.as_of)


def _invested(weights: pd.Series, quote: str) -> pd.Series:
    """Return the non-cash lines of ``weights`` that are > 0."""
    w = weights.drop([c for c in (CASH, quote) if c in weights.index])
    return w[w > 0]


def _routes(assets: Iterable[str], markets: Mapping[str, Market], quote: str, inter: tuple[str, ...]
            ) -> tuple[dict[str, tuple[str, str | None]], list[SkippedTrade]]:
    """Return the market of every asset to trade or value (intermediates included); held assets without one are skipped."""
    routes: dict[str, tuple[str, str | None]] = {}
    skipped: list[SkippedTrade] = []
    for a in sorted(assets):
        try:
            routes[a] = route(a, markets, quote, inter)
        except ExecutionError:
            skipped.append(SkippedTrade(a, "no market to sell it", ZERO))
    for hop in {x for _, x in routes.values() if x} - set(routes):
        routes[hop] = route(hop, markets, quote, ())
    return routes, skipped


def _asset_prices(routes: Mapping[str, tuple[str, str | None]], prices: Mapping[str, Decimal], quote: str,
                  inter: tuple[str, ...]) -> dict[str, Decimal]:
    """Price of each asset in ``quote`` (a routed asset's through its intermediate)."""
    px: dict[str, Decimal] = {}
    for a, (sym, x) in routes.items():
        if sym not in prices:
            raise ExecutionError(f"no price for {sym} (needed for {a})")
        px[a] = Decimal(str(prices[sym])) * (Decimal(str(prices[f"{x}/{quote}"])) if x else 1)
    for x in inter:
        if f"{x}/{quote}" in prices and x not in px:
            px[x] = Decimal(str(prices[f"{x}/{quote}"]))
    return px


def _too_small_to_open(w: pd.Series, routes: Mapping[str, tuple[str, str | None]], px: Mapping[str, Decimal],
                       prices: Mapping[str, Decimal], markets: Mapping[str, Market], qty: Mapping[str, Decimal],
                       value: Decimal, quote: str) -> dict[str, str]:
    """Target positions not held yet whose whole size is below the market minimum, with the reason.

    A weight worth under a cent (solver noise) is nothing to open, not a position too small.
    """
    small = {}
    for a in routes:
        wa = Decimal(str(float(w.get(a, 0.0))))
        if wa * value < Decimal("0.01") or qty.get(a):
            continue
        m, p = markets[routes[a][0]], Decimal(str(prices[routes[a][0]]))
        if not m.tradeable(m.round_amount(wa * value / px[a]), p):
            small[a] = (f"target {wa * value:.2f} {quote} is below the {m.symbol} minimum "
                        f"(notional {m.min_cost:f}, amount {m.min_amount:f})")
    return small


def _buffered(tw: Mapping[str, Decimal], cash_w: float, cash_buffer: float) -> dict[str, Decimal]:
    """Return asset weights that leave at least ``cash_buffer`` in cash.

    They are scaled down together when the target's cash is smaller (the buffer is part of the
    target, so sells and buys aim at the same book).
    """
    if cash_w >= cash_buffer or cash_w >= 1:
        return dict(tw)
    f = Decimal(str((1 - cash_buffer) / (1 - cash_w)))
    return {a: t * f for a, t in tw.items()}


def _fee_rates(markets: Mapping[str, Market], fee_rate: float | None) -> Callable[[str], Decimal]:
    def fee_of(sym: str) -> Decimal:
        f = fee_rate if fee_rate is not None else (markets[sym].taker if markets[sym].taker is not None else 0.001)
        return Decimal(str(f))
    return fee_of


def _fees(c: _Ctx, book: _Book) -> Decimal:
    """Fees (quote units) of an unscaled pass: the post-trade value is the value less these."""
    _, _, cash_after, qty_after, _ = _legs(c, book.cash_free, Decimal(1))
    after = cash_after + sum((qty_after.get(a, ZERO) * c.px[a] for a in c.routes), ZERO)
    return max(ZERO, book.cash_free + sum((c.qty.get(a, ZERO) * c.px[a] for a in c.routes), ZERO) - after)


def _funded_legs(c: _Ctx, cash_free: Decimal, keep_free: Decimal
                 ) -> tuple[list[PlannedOrder], list[SkippedTrade], Decimal, Decimal, dict[str, Decimal], Decimal]:
    """Legs whose buys fit the free quote balance plus sells, less ``keep_free``.

    One proportional step scales every buy; the next passes only correct lot rounding and dropped dust.
    A shortfall under one basis point of the value is not scaled for (the executor re-sizes each buy
    from the free balance anyway).
    """
    scale = Decimal(1)
    for _ in range(4):
        orders, skip, cash_after, qty_after, spent = _legs(c, cash_free, scale)
        short = keep_free - cash_after
        if short <= c.value * Decimal("0.0001") or spent <= 0:
            break
        scale = max(ZERO, scale * (1 - short / spent) - Decimal("1e-6"))
    if scale < 1:
        orders = [replace(o, note=(o.note + "; " if o.note else "") + f"scaled to {float(scale):.2%}")
                  if o.side == "buy" else o for o in orders]
    return orders, skip, scale, cash_after, qty_after, spent


def _weights(values: Mapping[str, Decimal], cash: Decimal) -> pd.Series:
    """Weights (fractions, CASH included) of asset ``values`` plus ``cash``."""
    total = cash + sum(values.values(), ZERO)
    return pd.Series({**{a: float(v / total) for a, v in values.items()}, CASH: float(cash / total)})


@dataclass(frozen=True)
class _Ctx:
    routes: Mapping[str, tuple[str, str | None]]
    tw: Mapping[str, Decimal]  # target weights incl. the cash buffer
    qty: Mapping[str, Decimal]
    free: Mapping[str, Decimal]
    px: Mapping[str, Decimal]
    prices: Mapping[str, Decimal]
    markets: Mapping[str, Market]
    quote: str
    value: Decimal  # the account now (drift is a fraction of it)
    base: Decimal  # the value the target weights apply to (after this plan's fees)
    threshold: Decimal
    fee_of: Callable[[str], Decimal]
    rnd: Rounder


def _legs(c: _Ctx, cash: Decimal, scale: Decimal
          ) -> tuple[list[PlannedOrder], list[SkippedTrade], Decimal, dict[str, Decimal], Decimal]:
    """One planning pass with every buy scaled by ``scale``.

    Returns legs, skips, free quote after, quantities after and the quote spent on direct buys.
    """
    skipped: list[SkippedTrade] = []
    trades: list[tuple[int, str, str, str, Decimal, Decimal, str]] = []  # (phase, asset, sym, side, amt, price, note)
    qty_after = dict(c.qty)
    cash_after, spent = cash, ZERO
    need = {x: ZERO for x in {x for _, x in c.routes.values() if x}}  # intermediate units needed by routed legs

    def leg(a: str, delta_value: Decimal, exit_all: bool, drift: Decimal) -> None:
        nonlocal cash_after, spent
        sym, x = c.routes[a]
        m, p = c.markets[sym], Decimal(str(c.prices[sym]))
        fee = c.fee_of(sym)
        if not exit_all and drift < c.threshold:
            if delta_value != 0:
                skipped.append(SkippedTrade(a, f"drift {float(drift):.4%} below threshold", abs(delta_value)))
            return
        side = "buy" if delta_value > 0 else "sell"
        free_qty = c.free.get(a, ZERO)
        if side == "sell":
            raw = free_qty if exit_all else min(-delta_value / c.px[a], free_qty)
        else:
            raw = delta_value / (c.px[a] * (1 - fee))
        amount = c.rnd(sym, raw)
        if amount <= 0 or amount < m.min_amount or amount * p < m.min_cost:
            why = "dust" if side == "sell" or scale == 1 else f"dust after scaling buys to {float(scale):.2%}"
            skipped.append(SkippedTrade(a, f"{why}: {raw:.8g} {a} ({abs(delta_value):.2f} {c.quote}) below the "
                                           f"{sym} minimum (amount {m.min_amount}, notional {m.min_cost})",
                                        abs(delta_value)))
            return
        phase = (0 if x else 1) if side == "sell" else (3 if x else 2)
        note = f"via {x}" if x else ""
        if side == "sell" and amount < c.rnd(sym, -delta_value / c.px[a]) and not exit_all:
            note = (note + "; " if note else "") + "limited to the free balance"
        trades.append((phase, a, sym, side, amount, p, note))
        got = amount * (1 - fee) if side == "buy" else -amount
        qty_after[a] = qty_after.get(a, ZERO) + got
        flow = amount * p * ((1 - fee) if side == "sell" else -1)  # in the market's quote units
        if x:
            need[x] -= flow
        else:
            cash_after += flow
            if side == "buy":
                spent -= flow

    def scaled(d: Decimal) -> Decimal:
        return d * scale if d > 0 else d

    for a in [a for a in c.routes if c.routes[a][1]]:
        d = c.tw[a] * c.base - c.qty.get(a, ZERO) * c.px[a]
        leg(a, scaled(d), c.tw[a] == 0, abs(d) / c.value)
    for a in c.routes:
        if c.routes[a][1]:
            continue
        extra = need.get(a, ZERO)
        if extra:
            qty_after[a] = qty_after.get(a, ZERO) - extra
        fee = c.fee_of(c.routes[a][0])
        own = c.tw[a] * c.base - c.qty.get(a, ZERO) * c.px[a]
        d = scaled(own) + extra * c.px[a] / (1 - fee if extra > 0 else 1)
        leg(a, d, c.tw[a] == 0 and extra <= 0, abs(d) / c.value)
    trades.sort(key=lambda t: (t[0], t[2]))
    orders = [PlannedOrder(i, a, sym, side, amt, p, (amt * c.px[a]).quantize(Decimal("0.01")), note)
              for i, (_, a, sym, side, amt, p, note) in enumerate(trades)]
    return orders, skipped, cash_after, qty_after, spent
