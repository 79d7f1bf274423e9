"""ccxt's dicts -> the frozen types of :mod:`indexer.execution.types`.

The ccxt boundary of ``CcxtBroker`` and ``PaperBroker``; nothing else reads ccxt structures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

import pandas as pd

from indexer._typing import Fill
from indexer.exceptions import ExecutionError
from indexer.execution.types import AccountBalance, Balance, BookLevel, Market, OrderBook, OrderState

__all__ = ["fills_from_trades", "market_from_ccxt", "markets_from_ccxt", "order_from_ccxt", "book_from_ccxt",
           "balance_from_ccxt"]

ZERO = Decimal(0)


def _dec(x: Any) -> Decimal | None:
    return None if x is None or x == "" else Decimal(str(x))


def market_from_ccxt(m: Mapping[str, Any]) -> Market:
    """Convert a ccxt market structure to :class:`Market` (TICK_SIZE precision, as ccxt's binance)."""
    lim, prec = m.get("limits") or {}, m.get("precision") or {}
    info = m.get("info") or {}
    status = info.get("status") if isinstance(info, Mapping) else None
    return Market(
        symbol=m["symbol"], base=m["base"], quote=m["quote"],
        active=m.get("active", True) is not False and status in (None, "TRADING"),
        spot=m.get("spot", True) is not False,
        amount_step=_dec(prec.get("amount")), price_step=_dec(prec.get("price")),
        min_amount=_dec((lim.get("amount") or {}).get("min")) or ZERO,
        max_amount=_dec((lim.get("amount") or {}).get("max")),
        min_cost=_dec((lim.get("cost") or {}).get("min")) or ZERO,
        max_market_amount=_dec((lim.get("market") or {}).get("max")),
        taker=_dec(m.get("taker")),
    )


def markets_from_ccxt(markets: Mapping[str, Mapping[str, Any]]) -> dict[str, Market]:
    """Every ccxt market by symbol as :class:`Market`."""
    return {s: market_from_ccxt(m) for s, m in markets.items()}


def book_from_ccxt(symbol: str, book: Mapping[str, Any]) -> OrderBook:
    """Convert a ccxt order book to :class:`OrderBook`."""
    def side(rows: Any) -> tuple[BookLevel, ...]:
        return tuple(BookLevel(Decimal(str(r[0])), Decimal(str(r[1]))) for r in rows or [])

    return OrderBook(symbol, side(book.get("bids")), side(book.get("asks")))


def balance_from_ccxt(bal: Mapping[str, Any], quote: str, as_of: Any = None) -> AccountBalance:
    """Convert a ccxt balance structure to :class:`AccountBalance` (zero lines dropped)."""
    free, used, total = bal.get("free") or {}, bal.get("used") or {}, bal.get("total") or {}
    out = {}
    for c in set(free) | set(used) | set(total):
        f, u = _dec(free.get(c)) or ZERO, _dec(used.get(c)) or ZERO
        t = _dec(total.get(c))
        t = f + u if t is None else t
        if f or u or t:
            out[c] = Balance(f, u, t)
    return AccountBalance(out, quote=quote, as_of=as_of)


def order_from_ccxt(o: Mapping[str, Any], fills: Sequence[Fill] = ()) -> OrderState:
    """Convert a ccxt order structure to :class:`OrderState`."""
    fee = o.get("fee") or {}
    amount = _dec(o.get("amount")) or ZERO
    filled = _dec(o.get("filled")) or ZERO
    remaining = _dec(o.get("remaining"))
    return OrderState(
        id=str(o.get("id") or ""), symbol=o["symbol"], side=o.get("side") or "", type=o.get("type") or "market",
        status=o.get("status") or "open", amount=amount, filled=filled,
        remaining=amount - filled if remaining is None else remaining,
        price=_dec(o.get("price")), average=_dec(o.get("average")), client_order_id=o.get("clientOrderId"),
        fee=_dec(fee.get("cost")) or ZERO, fee_currency=fee.get("currency") or "", fills=tuple(fills),
    )


def _side(trade: Mapping[str, Any], default: str | None) -> Literal["buy", "sell"]:
    """Return the trade's side (``default`` when ccxt leaves it out); anything but buy/sell is an error."""
    side = trade.get("side") or default
    if side == "buy":
        return "buy"
    if side == "sell":
        return "sell"
    raise ExecutionError(f"trade {trade.get('id')!r} on {trade.get('symbol')}: field 'side' is {side!r}; expected 'buy' or 'sell'")


def fills_from_trades(trades: Sequence[Mapping[str, Any]], client_order_id: str | None = None,
                      side: str | None = None) -> list[Fill]:
    """Ccxt trade structures -> :class:`Fill` (Decimal amounts); ``side`` fills in a missing trade side."""
    out = []
    for t in trades:
        fee = t.get("fee") or {}
        ts = t.get("timestamp")
        out.append(Fill(
            symbol=t["symbol"], side=_side(t, side), amount=Decimal(str(t["amount"])), price=Decimal(str(t["price"])),
            fee=Decimal(str(fee.get("cost") or 0)), fee_currency=fee.get("currency") or "",
            order_id=str(t.get("order") or ""), client_order_id=client_order_id,
            timestamp=pd.Timestamp(ts, unit="ms", tz="UTC") if ts else None,
        ))
    return out
