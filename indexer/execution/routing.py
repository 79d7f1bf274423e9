"""Routing and tradability: which market trades an asset, and what happens to target assets none does.

* :func:`route`: ``ASSET/QUOTE``, else via an intermediate (``ASSET/BTC`` then ``BTC/QUOTE``, or ETH);
  only active spot markets count.
* :func:`apply_untradeable`: the ``redistribute`` / ``cash`` / ``fail`` policy for target assets
  without a market (see docs/execution.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal, Mapping

import pandas as pd

from indexer._typing import CASH
from indexer.exceptions import ExecutionError
from indexer.execution.types import Market

__all__ = ["Untradeable", "UntradeablePolicy", "UNTRADEABLE_POLICIES", "route", "symbols_to_price",
           "apply_untradeable"]

UntradeablePolicy = Literal["redistribute", "cash", "fail"]
UNTRADEABLE_POLICIES = ("redistribute", "cash", "fail")


@dataclass(frozen=True)
class Untradeable:
    """A target asset the exchange cannot trade, and where its ``weight`` (fraction) went."""

    asset: str
    weight: float
    reason: str
    policy: str



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


def apply_untradeable(weights: pd.Series, markets: Mapping[str, Market], quote: str,
                      policy: UntradeablePolicy = "redistribute",
                      intermediates: Iterable[str] = ("BTC", "ETH"), *,
                      also: Mapping[str, str] | None = None) -> tuple[pd.Series, tuple[Untradeable, ...]]:
    """Target ``weights`` (with CASH) the exchange can trade, and what was moved (see module docstring).

    ``also``: more assets the exchange cannot trade, with the reason (e.g. a target position below the
    market minimum).  Raises :class:`ExecutionError` naming the assets when ``policy`` is ``"fail"``.
    """
    if policy not in UNTRADEABLE_POLICIES:
        raise ExecutionError(f"untradeable policy must be one of {', '.join(UNTRADEABLE_POLICIES)}, got {policy!r}")
    w = pd.Series(weights, dtype="float64").copy()
    if CASH not in w.index:
        w[CASH] = 0.0
    bad: list[Untradeable] = []
    errors = []
    for a, x in w.items():
        if a in (CASH, quote) or x <= 0:
            continue
        if also and a in also:
            errors.append(f"{a}: {also[a]}")
            bad.append(Untradeable(str(a), float(x), also[a], policy))
            continue
        try:
            route(a, markets, quote, intermediates)
        except ExecutionError as exc:
            errors.append(str(exc))
            bad.append(Untradeable(str(a), float(x), str(exc), policy))
    if not bad:
        return w, ()
    if policy == "fail":
        raise ExecutionError("; ".join(errors) + " (untradeable policy 'fail'; set untradeable: redistribute or cash "
                                                 "to trade the rest)")
    moved = sum(u.weight for u in bad)
    for u in bad:
        w[u.asset] = 0.0
    rest = w.drop([CASH, quote], errors="ignore")
    rest = rest[rest > 0]
    if policy == "redistribute" and float(rest.sum()) > 0:
        w[rest.index] = rest * (1 + moved / float(rest.sum()))
    else:
        bad = [Untradeable(u.asset, u.weight, u.reason, "cash") for u in bad]
        w[CASH] = float(w[CASH]) + moved
    return w, tuple(bad)
