"""Order planner: holdings + prices + target weights + ccxt markets -> :class:`OrderPlan`.

* ``CASH`` maps to the quote currency (e.g. USDT); every other asset trades on
  ``ASSET/QUOTE``, else via an intermediate (``ASSET/BTC`` then ``BTC/QUOTE``,
  or ETH), the intermediate's own trade netted with what the routed legs need.
* Amounts are truncated to the lot step (ccxt's ``amount_to_precision``) and
  checked against the minimum amount and minimum notional; what fails is
  skipped and reported as dust.  No order where the weight drift is below
  ``drift_threshold`` (full exits excepted).
* Fees (the market's taker rate, charged in the received currency) are
  estimated and buys grossed up for them; ``fee_reserve`` of the portfolio
  value stays in cash against price moves.
* Legs run sells first (routed sells, then direct sells), then buys (direct,
  then routed), so each buy is funded.
* The plan reports expected post-trade weights and the residual tracking error
  ``0.5 * sum(|w_expected - w_target|)`` over all lines including CASH: the
  fraction of portfolio value not where the target wants it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any, Callable, Iterable, Mapping

import pandas as pd

from indexer._typing import CASH, Holdings, OrderIntent, TargetPortfolio
from indexer.exceptions import ExecutionError
from indexer.execution.client_ids import client_order_id

__all__ = ["PlannedOrder", "SkippedTrade", "OrderPlan", "plan_orders", "route", "symbols_to_price", "tick_round"]

ZERO = Decimal(0)
Rounder = Callable[[str, Decimal], Decimal]


@dataclass(frozen=True)
class PlannedOrder:
    """One leg of a plan: ``amount`` base units on ``symbol`` at about ``price`` (market quote units)."""

    leg: int
    asset: str
    symbol: str
    side: str
    amount: Decimal
    price: Decimal
    value: Decimal  # in the account quote currency
    note: str = ""

    def intent(self, run_id: str, *, type: str = "market", price: Decimal | None = None,
               amount: Decimal | None = None, part: int = 0) -> OrderIntent:
        """An :class:`OrderIntent` with a client id derived from ``run_id``, leg and part."""
        return OrderIntent(symbol=self.symbol, side=self.side, amount=self.amount if amount is None else amount,  # type: ignore[arg-type]
                           type=type, price=price, client_order_id=client_order_id(run_id, self.leg, part),  # type: ignore[arg-type]
                           leg=f"{self.leg}.{part}")


@dataclass(frozen=True)
class SkippedTrade:
    """A wanted trade not placed: too small (dust), below the drift threshold, or unroutable."""

    asset: str
    reason: str
    value: Decimal


@dataclass(frozen=True)
class OrderPlan:
    """What to trade to move ``current_weights`` to ``target_weights`` (frozen, printable)."""

    as_of: pd.Timestamp | None
    quote: str
    portfolio_value: Decimal
    orders: tuple[PlannedOrder, ...]
    skipped: tuple[SkippedTrade, ...]
    current_weights: pd.Series
    target_weights: pd.Series
    expected_weights: pd.Series
    tracking_error: float
    fee_estimate: Decimal
    fee_reserve: Decimal
    asset_prices: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """Short hash of the orders (symbol, side, amount): ties an approval or a run id to this plan."""
        import hashlib

        text = repr([(o.symbol, o.side, str(o.amount)) for o in self.orders])
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    @property
    def turnover(self) -> float:
        """Sum of order values / portfolio value (fraction)."""
        v = float(self.portfolio_value)
        return float(sum(o.value for o in self.orders)) / v if v else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "as_of": self.as_of.isoformat() if self.as_of is not None else None,
            "quote": self.quote, "portfolio_value": str(self.portfolio_value),
            "orders": [{"leg": o.leg, "asset": o.asset, "symbol": o.symbol, "side": o.side, "amount": str(o.amount),
                        "price": str(o.price), "value": str(o.value), "note": o.note} for o in self.orders],
            "skipped": [{"asset": s.asset, "reason": s.reason, "value": str(s.value)} for s in self.skipped],
            "expected_weights": {k: float(v) for k, v in self.expected_weights.items()},
            "target_weights": {k: float(v) for k, v in self.target_weights.items()},
            "tracking_error": self.tracking_error, "fee_estimate": str(self.fee_estimate),
            "current_weights": {k: float(v) for k, v in self.current_weights.items()},
            "fee_reserve": str(self.fee_reserve),
            "asset_prices": {k: str(v) for k, v in self.asset_prices.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "OrderPlan":
        """Rebuild a plan from :meth:`to_dict` (e.g. stored as JSON before its orders were placed)."""
        def series(key: str) -> pd.Series:
            return pd.Series(d.get(key) or {}, dtype="float64")

        return cls(
            as_of=pd.Timestamp(d["as_of"]) if d.get("as_of") else None, quote=d["quote"],
            portfolio_value=Decimal(d["portfolio_value"]),
            orders=tuple(PlannedOrder(leg=int(o["leg"]), asset=o.get("asset") or o["symbol"].split("/")[0],
                                      symbol=o["symbol"], side=o["side"], amount=Decimal(o["amount"]),
                                      price=Decimal(o["price"]), value=Decimal(o["value"]), note=o.get("note", ""))
                         for o in d["orders"]),
            skipped=tuple(SkippedTrade(s["asset"], s["reason"], Decimal(s["value"])) for s in d.get("skipped", [])),
            current_weights=series("current_weights"), target_weights=series("target_weights"),
            expected_weights=series("expected_weights"), tracking_error=float(d.get("tracking_error", 0.0)),
            fee_estimate=Decimal(d.get("fee_estimate", "0")), fee_reserve=Decimal(d.get("fee_reserve", "0")),
            asset_prices={k: Decimal(v) for k, v in (d.get("asset_prices") or {}).items()},
        )

    def __rich__(self) -> Any:
        from indexer.execution.views import plan_view

        return plan_view(self)


def tick_round(step: float | None) -> Callable[[Decimal], Decimal]:
    """Truncate to a multiple of ``step`` (ccxt TICK_SIZE precision)."""
    if not step:
        return lambda x: x
    s = Decimal(str(step))
    return lambda x: (x / s).to_integral_value(ROUND_DOWN) * s


def _default_rounder(markets: Mapping[str, Mapping[str, Any]]) -> Rounder:
    from ccxt.base.decimal_to_precision import TICK_SIZE, TRUNCATE, decimal_to_precision

    def rnd(symbol: str, amount: Decimal) -> Decimal:
        prec = (markets[symbol].get("precision") or {}).get("amount")
        if prec is None or amount <= 0:
            return max(amount, ZERO)
        return Decimal(decimal_to_precision(str(amount), TRUNCATE, prec, TICK_SIZE))

    return rnd


def route(asset: str, markets: Mapping[str, Mapping[str, Any]], quote: str,
          intermediates: Iterable[str] = ("BTC", "ETH")) -> tuple[str, str | None]:
    """``(symbol, intermediate)`` to trade ``asset`` against ``quote``; ExecutionError if none."""
    def ok(sym: str) -> bool:
        m = markets.get(sym)
        return m is not None and m.get("active", True) is not False and m.get("spot", True) is not False
    if ok(f"{asset}/{quote}"):
        return f"{asset}/{quote}", None
    for x in intermediates:
        if x != asset and ok(f"{asset}/{x}") and ok(f"{x}/{quote}"):
            return f"{asset}/{x}", x
    tried = [f"{asset}/{quote}"] + [f"{asset}/{x}" for x in intermediates]
    raise ExecutionError(f"no market to trade {asset}: tried {', '.join(tried)}")


def symbols_to_price(assets: Iterable[str], markets: Mapping[str, Mapping[str, Any]], quote: str,
                     intermediates: Iterable[str] = ("BTC", "ETH"), *, skip_unroutable: bool = False) -> list[str]:
    """Market symbols whose prices :func:`plan_orders` needs for ``assets``.

    ``skip_unroutable`` leaves out assets with no market (e.g. odd balances
    held on an exchange) instead of raising :class:`ExecutionError`.
    """
    out: set[str] = set()
    for a in assets:
        if a in (quote, CASH):
            continue
        try:
            sym, x = route(a, markets, quote, intermediates)
        except ExecutionError:
            if skip_unroutable:
                continue
            raise
        out.add(sym)
        if x:
            out.add(f"{x}/{quote}")
    return sorted(out)


def _limit(m: Mapping[str, Any], kind: str) -> Decimal:
    v = ((m.get("limits") or {}).get(kind) or {}).get("min")
    return Decimal(str(v)) if v else ZERO


def plan_orders(
    target: TargetPortfolio,
    holdings: Holdings,
    prices: Mapping[str, Decimal],
    markets: Mapping[str, Mapping[str, Any]],
    *,
    quote: str | None = None,
    drift_threshold: float = 0.001,
    fee_reserve: float = 0.001,
    fee_rate: float | None = None,
    intermediates: Iterable[str] = ("BTC", "ETH"),
    amount_to_precision: Rounder | None = None,
) -> OrderPlan:
    """Plan the orders that move ``holdings`` to ``target`` (see module docstring).

    Parameters
    ----------
    prices
        Price per market symbol (from :func:`symbols_to_price`), market quote units.
    drift_threshold
        Minimum |target - current| weight (fraction) worth trading.
    fee_reserve
        Fraction of portfolio value kept in cash beyond the target.
    fee_rate
        Fee fraction; default: each market's ``taker`` (else 0.001).
    amount_to_precision
        ``(symbol, amount) -> truncated amount``; default: ccxt's
        ``decimal_to_precision`` with the market's TICK_SIZE precision.
    """
    quote = quote or holdings.quote
    inter = tuple(intermediates)
    rnd = amount_to_precision or _default_rounder(markets)
    w = target.weights.copy()
    cash_w = float(w.get(CASH, 0.0)) + float(w.get(quote, 0.0))
    w = w.drop([c for c in (CASH, quote) if c in w.index])
    qty = {c: Decimal(str(v)) for c, v in holdings.balances.items() if Decimal(str(v)) > 0}
    cash = qty.pop(quote, ZERO)
    assets = sorted(set(w[w > 0].index) | set(qty))
    routes: dict[str, tuple[str, str | None]] = {}
    skipped: list[SkippedTrade] = []
    for a in assets:
        try:
            routes[a] = route(a, markets, quote, inter)
        except ExecutionError:
            if float(w.get(a, 0.0)) > 0:
                raise
            skipped.append(SkippedTrade(a, "no market to sell it", ZERO))
    for x in {x for _, x in routes.values() if x} - set(routes):
        routes[x] = route(x, markets, quote, ())
    px: dict[str, Decimal] = {}
    for a, (sym, x) in routes.items():
        if sym not in prices:
            raise ExecutionError(f"no price for {sym} (needed for {a})")
        px[a] = Decimal(str(prices[sym])) * (Decimal(str(prices[f"{x}/{quote}"])) if x else 1)
    for x in inter:
        if f"{x}/{quote}" in prices and x not in px:
            px[x] = Decimal(str(prices[f"{x}/{quote}"]))
    held_value = {a: qty.get(a, ZERO) * px[a] for a in routes}
    value = cash + sum(held_value.values(), ZERO)
    if value <= 0:
        raise ExecutionError("portfolio value is zero: nothing to rebalance")

    def fee_of(sym: str) -> Decimal:
        f = fee_rate if fee_rate is not None else (markets[sym].get("taker") or 0.001)
        return Decimal(str(f))

    tw = {a: Decimal(str(float(w.get(a, 0.0)))) for a in routes}
    fees_est = sum((abs(tw[a] * value - held_value[a]) * fee_of(routes[a][0]) for a in routes), ZERO)
    reserve = Decimal(str(fee_reserve)) * value
    budget = value - fees_est - reserve
    for _ in range(6):
        orders, skip, cash_after, qty_after = _legs(routes, tw, qty, cash, px, prices, markets, quote,
                                                     budget, value, Decimal(str(drift_threshold)), fee_of, rnd)
        if cash_after >= 0:
            break
        budget += cash_after * Decimal("1.02")
    else:
        raise ExecutionError(f"could not fund the buys: short {-cash_after:.2f} {quote}")
    values = {a: qty_after.get(a, ZERO) * px[a] for a in routes}
    total = cash_after + sum(values.values(), ZERO)
    expected = pd.Series({**{a: float(v / total) for a, v in values.items()}, CASH: float(cash_after / total)})
    current = pd.Series({**{a: float(v / value) for a, v in held_value.items()}, CASH: float(cash / value)})
    tgt = pd.Series({**{a: float(t) for a, t in tw.items()}, CASH: cash_w})
    idx = expected.index.union(tgt.index)
    te = 0.5 * float((expected.reindex(idx, fill_value=0.0) - tgt.reindex(idx, fill_value=0.0)).abs().sum())
    return OrderPlan(
        as_of=target.as_of, quote=quote, portfolio_value=value, orders=tuple(orders),
        skipped=tuple(skipped + skip), current_weights=current, target_weights=tgt, expected_weights=expected,
        tracking_error=te, fee_estimate=value - total, fee_reserve=reserve, asset_prices=px,
    )


def _legs(
    routes: Mapping[str, tuple[str, str | None]],
    tw: Mapping[str, Decimal],
    qty: Mapping[str, Decimal],
    cash: Decimal,
    px: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    markets: Mapping[str, Mapping[str, Any]],
    quote: str,
    budget: Decimal,
    value: Decimal,
    threshold: Decimal,
    fee_of: Callable[[str], Decimal],
    rnd: Rounder,
) -> tuple[list[PlannedOrder], list[SkippedTrade], Decimal, dict[str, Decimal]]:
    """One planning pass at a given investable ``budget``; returns legs, skips, cash and quantities after."""
    skipped: list[SkippedTrade] = []
    trades: list[tuple[int, str, str, str, Decimal, Decimal, str]] = []  # (phase, asset, sym, side, amt, price, note)
    qty_after = dict(qty)
    cash_after = cash
    need = {x: ZERO for x in {x for _, x in routes.values() if x}}  # intermediate units needed by routed legs

    def leg(a: str, delta_value: Decimal, exit_all: bool) -> None:
        nonlocal cash_after
        sym, x = routes[a]
        m, p = markets[sym], Decimal(str(prices[sym]))
        fee = fee_of(sym)
        drift = abs(delta_value) / value
        if not exit_all and drift < threshold:
            if delta_value != 0:
                skipped.append(SkippedTrade(a, f"drift {float(drift):.4%} below threshold", abs(delta_value)))
            return
        side = "buy" if delta_value > 0 else "sell"
        if side == "sell":
            raw = qty.get(a, ZERO) if exit_all else min(-delta_value / px[a], qty.get(a, ZERO))
        else:
            raw = delta_value / (px[a] * (1 - fee))
        amount = rnd(sym, raw)
        min_amt, min_cost = _limit(m, "amount"), _limit(m, "cost")
        if amount <= 0 or amount < min_amt or amount * p < min_cost:
            skipped.append(SkippedTrade(a, f"dust: {raw:.8g} {a} ({abs(delta_value):.2f} {quote}) below the "
                                           f"{sym} minimum (amount {min_amt}, notional {min_cost})", abs(delta_value)))
            return
        phase = (0 if x else 1) if side == "sell" else (3 if x else 2)
        trades.append((phase, a, sym, side, amount, p, f"via {x}" if x else ""))
        got = amount * (1 - fee) if side == "buy" else -amount
        qty_after[a] = qty_after.get(a, ZERO) + got
        flow = amount * p * ((1 - fee) if side == "sell" else -1)  # in the market's quote units
        if x:
            need[x] -= flow
        else:
            cash_after += flow

    routed = [a for a in routes if routes[a][1]]
    for a in routed:
        leg(a, tw[a] * budget - qty.get(a, ZERO) * px[a], tw[a] == 0)
    for a in routes:
        if routes[a][1]:
            continue
        extra = need.get(a, ZERO)
        if extra:
            qty_after[a] = qty_after.get(a, ZERO) - extra
        fee = fee_of(routes[a][0])
        target_value = tw[a] * budget + extra * px[a] / (1 - fee if extra > 0 else 1)
        leg(a, target_value - qty.get(a, ZERO) * px[a], tw[a] == 0 and extra <= 0)
    trades.sort(key=lambda t: (t[0], t[2]))
    orders = [PlannedOrder(i, a, sym, side, amt, p, (amt * px[a]).quantize(Decimal("0.01")), note)
              for i, (_, a, sym, side, amt, p, note) in enumerate(trades)]
    return orders, skipped, cash_after, qty_after
