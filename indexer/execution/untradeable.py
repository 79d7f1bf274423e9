"""Target assets the exchange cannot trade: the ``redistribute`` / ``cash`` / ``fail`` policy.

An asset is untradeable when no direct or routed market trades it, its market is halted, or its
target position is below the market minimum.  Its weight goes:

* ``redistribute`` (default): to the other invested assets pro rata, **within the strategy's caps**
  (:class:`~indexer._typing.WeightCaps`: per asset and per group).  Growth is proportional to each
  asset's weight until an asset or a group reaches its cap; the rest keep growing ("water-filling",
  :func:`spread_within_caps`).  What no asset can take under its caps stays in cash and is reported
  (:attr:`Untradeable.to_cash`).
* ``cash``: to cash.
* ``fail``: the rebalance is refused (:class:`~indexer.exceptions.ExecutionError` naming the assets).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from indexer._typing import CASH, WeightCaps
from indexer.exceptions import ExecutionError
from indexer.execution.routing import route
from indexer.execution.types import Market

__all__ = ["Untradeable", "UntradeablePolicy", "UNTRADEABLE_POLICIES", "NOISE", "apply_untradeable",
           "spread_within_caps"]

UntradeablePolicy = Literal["redistribute", "cash", "fail"]
UNTRADEABLE_POLICIES = ("redistribute", "cash", "fail")
#: A weight below this (a cent of 10,000) is optimiser noise: not a position, not untradeable, never a receiver.
NOISE = 1e-6
_TOL = 1e-12


@dataclass(frozen=True)
class Untradeable:
    """A target asset the exchange cannot trade, and where its ``weight`` (fraction of value) went.

    ``policy`` is what was applied (``redistribute`` or ``cash``); ``to_cash`` is the part of
    ``weight`` kept in cash under ``redistribute`` because the other assets were at their caps.
    """

    asset: str
    weight: float
    reason: str
    policy: str
    to_cash: float = 0.0

    @property
    def note(self) -> str:
        """One line for the plan, the CLI and the bot notification."""
        head = f"{self.asset}: {self.reason}; its {self.weight:.2%} "
        if self.policy != "redistribute":
            return head + "kept in cash"
        if self.to_cash <= 5e-5:
            return head + "spread pro rata over the other assets (within the strategy's caps)"
        return head + (f"spread pro rata over the other assets up to the strategy's caps; {self.to_cash:.2%} "
                       "kept in cash (no room under the caps)")


def spread_within_caps(weights: pd.Series, amount: float, caps: WeightCaps | None = None) -> tuple[pd.Series, float]:
    """Add ``amount`` (fraction of value) to ``weights`` (assets only) pro rata, never above ``caps``.

    Every receiving asset grows in proportion to its weight until it, or a group it belongs to,
    reaches its cap; then the others go on.  Assets below :data:`NOISE` (0 or optimiser noise) receive
    nothing.  Returns the new weights and what could not be placed (0 when everything fit).
    """
    w = pd.Series(weights, dtype="float64").copy()
    base = w[w >= NOISE]
    caps = caps or WeightCaps()
    left = float(amount)

    def full_groups() -> set[str]:
        return {n for n, members, cap in caps.groups if float(w.reindex(list(members)).fillna(0.0).sum()) >= cap - 1e-9}

    for _ in range(len(base) + len(caps.groups) + 1):
        full = full_groups()
        active = [a for a in base.index if w[a] < caps.cap(a) - 1e-9
                  and not any(a in members for n, members, _ in caps.groups if n in full)]
        if left <= _TOL or not active:
            break
        share = float(base[active].sum())
        step = left / share  # growth per unit of weight
        for a in active:
            step = min(step, (caps.cap(a) - float(w[a])) / float(base[a]))
        for _n, members, cap in caps.groups:
            inside = [a for a in active if a in members]
            if inside:
                room = cap - float(w.reindex(list(members)).fillna(0.0).sum())
                step = min(step, max(room, 0.0) / float(base[inside].sum()))
        w[active] = w[active] + step * base[active]
        left -= step * share
    return w, max(left, 0.0) if left > _TOL else 0.0


def apply_untradeable(weights: pd.Series, markets: Mapping[str, Market], quote: str,
                      policy: UntradeablePolicy = "redistribute",
                      intermediates: Iterable[str] = ("BTC", "ETH"), *,
                      also: Mapping[str, str] | None = None,
                      caps: WeightCaps | None = None) -> tuple[pd.Series, tuple[Untradeable, ...]]:
    """Target ``weights`` (with CASH) the exchange can trade, and what was moved (see module docstring).

    ``also``: more assets the exchange cannot trade, with the reason (e.g. a target position below the
    market minimum).  ``caps``: the strategy's caps, respected by ``redistribute`` (default: none).
    Raises :class:`ExecutionError` naming the assets when ``policy`` is ``"fail"``.
    """
    if policy not in UNTRADEABLE_POLICIES:
        raise ExecutionError(f"untradeable policy must be one of {', '.join(UNTRADEABLE_POLICIES)}, got {policy!r}")
    w = pd.Series(weights, dtype="float64").copy()
    if CASH not in w.index:
        w[CASH] = 0.0
    bad: list[Untradeable] = []
    errors = []
    for a, x in list(w.items()):
        if a in (CASH, quote) or x <= 0:
            continue
        why = also.get(str(a)) if also else None
        if why is None:
            try:
                route(str(a), markets, quote, intermediates)
                continue
            except ExecutionError as exc:
                why = str(exc)
        if x < NOISE:  # optimiser noise: to cash, nothing to report or refuse
            w[CASH] += x
            w[a] = 0.0
            continue
        errors.append(f"{a}: {why}" if also and a in also else why)
        bad.append(Untradeable(str(a), float(x), why, policy))
    if not bad:
        return w, ()
    if policy == "fail":
        raise ExecutionError("; ".join(errors) + " (untradeable policy 'fail'; set untradeable: redistribute or cash "
                                                 "to trade the rest)")
    moved = sum(u.weight for u in bad)
    for u in bad:
        w[u.asset] = 0.0
    rest = w.drop([CASH, quote], errors="ignore")
    if policy == "redistribute" and float(rest[rest >= NOISE].sum()) > 0:
        spread, left = spread_within_caps(rest, moved, caps)
        w[spread.index] = spread
        w[CASH] = float(w[CASH]) + left
        bad = [Untradeable(u.asset, u.weight, u.reason, "redistribute", left * u.weight / moved) for u in bad]
    else:
        bad = [Untradeable(u.asset, u.weight, u.reason, "cash") for u in bad]
        w[CASH] = float(w[CASH]) + moved
    return w, tuple(bad)
