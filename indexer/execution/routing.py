"""Routing: which market trades an asset.

* :func:`route`: ``ASSET/QUOTE``, else via an intermediate (``ASSET/BTC`` then ``BTC/QUOTE``, or ETH);
  only active spot markets count.
* :func:`symbols_to_price`: the market symbols whose prices a plan needs.

What happens to target assets no market trades: :mod:`indexer.execution.untradeable`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from indexer._typing import CASH
from indexer.exceptions import ExecutionError
from indexer.execution.types import Market

__all__ = ["route", "symbols_to_price"]


def route(asset: str, markets: Mapping[str, Market], quote: str,
          intermediates: Iterable[str] = ("BTC", "ETH")) -> tuple[str, str | None]:
    """``(symbol, intermediate)`` to trade ``asset`` against ``quote``; ExecutionError if none."""
    def ok(sym: str) -> bool:
        m = markets.get(sym)
        return m is not None and m.tradable
    if ok(f"{asset}/{quote}"):
        return f"{asset}/{quote}", None
    for x in intermediates:
        if x != asset and ok(f"{asset}/{x}") and ok(f"{x}/{quote}"):
            return f"{asset}/{x}", x
    tried = [f"{asset}/{quote}"] + [f"{asset}/{x}" for x in intermediates]
    halted = [t for t in tried if t in markets and not markets[t].tradable]
    raise ExecutionError(f"no market to trade {asset}: tried {', '.join(tried)}"
                         + (f" ({', '.join(halted)} halted)" if halted else ""))


def symbols_to_price(assets: Iterable[str], markets: Mapping[str, Market], quote: str,
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
