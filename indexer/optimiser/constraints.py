"""Constraints: small callables ``(w, b) -> list[cvxpy constraint]``, one per named group.

Groups are switched on by :class:`~indexer.optimiser.spec.ConstraintsSpec`;
``long_only``, ``budget`` and ``cash`` are always present.  In homogeneous
mode every right-hand side is multiplied by ``b.scale``.
"""

from __future__ import annotations

from typing import Callable

import cvxpy as cp

from indexer.optimiser.build import Build
from indexer.optimiser.groups import ALWAYS, describe, groups_for

__all__ = ["CONSTRAINTS", "ALWAYS", "groups_for", "describe"]


def long_only(w: cp.Variable, b: Build) -> list[cp.Constraint]:
    """Every weight and the CASH line >= 0."""
    return [w >= 0, b.cash >= 0]


def budget(w: cp.Variable, b: Build) -> list[cp.Constraint]:
    """Weights plus CASH sum to 1."""
    return [cp.sum(w) + b.cash == b.scale]


def cash(w: cp.Variable, b: Build) -> list[cp.Constraint]:
    """``cash_min <= CASH <= cash_max``."""
    lo = b.param("cash_min", (), lambda i: i.spec.constraints.cash_min, nonneg=True)
    hi = b.param("cash_max", (), lambda i: i.spec.constraints.cash_max, nonneg=True)
    return [b.cash >= b.scaled(lo), b.cash <= b.scaled(hi)]


def bounds(w: cp.Variable, b: Build) -> list[cp.Constraint]:
    """Per-asset minimum and maximum (``min_weight``, ``max_weight``, ``per_asset``)."""
    lo = b.param("lower", b.n, lambda i: i.lower, nonneg=True)
    hi = b.param("upper", b.n, lambda i: i.upper, nonneg=True)
    return [w >= b.scaled(lo), w <= b.scaled(hi)]


def theme_caps(w: cp.Variable, b: Build) -> list[cp.Constraint]:
    """Total weight of each capped registry theme (or kind) <= its cap."""
    m = len(b.inputs.themes)
    M = b.param("theme_matrix", (m, b.n), lambda i: i.theme_matrix, nonneg=True)
    caps = b.param("theme_caps", m, lambda i: i.theme_caps, nonneg=True)
    return [M @ w <= b.scaled(caps)]


def turnover(w: cp.Variable, b: Build) -> list[cp.Constraint]:
    """``||w - previous||_1 + |CASH - previous CASH| + (weight in assets that left) <= turnover``."""
    dw, dcash = b.trades()
    room = b.param("turnover_room", (), lambda i: i.spec.constraints.turnover - i.previous[2])
    return [cp.sum(dw) + dcash <= b.scaled(room)]


def liquidity(w: cp.Variable, b: Build) -> list[cp.Constraint]:
    """``w_i x portfolio_value <= k x ADV_i`` (average daily USD volume)."""
    hi = b.param("liquidity_upper", b.n, lambda i: i.liquidity_upper, nonneg=True)
    return [w <= b.scaled(hi)]


def stablecoin(w: cp.Variable, b: Build) -> list[cp.Constraint]:
    """``stablecoin_min <= CASH + registry stablecoins <= stablecoin_max``."""
    s = b.param("stable", b.n, lambda i: i.stable, nonneg=True)
    lo = b.param("stable_min", (), lambda i: i.spec.constraints.stablecoin_min or 0.0, nonneg=True)
    hi = b.param("stable_max", (), lambda i: _or1(i.spec.constraints.stablecoin_max), nonneg=True)
    total = s @ w + b.cash
    return [total >= b.scaled(lo), total <= b.scaled(hi)]


def _or1(x: float | None) -> float:
    return 1.0 if x is None else float(x)


#: Constraint group name -> callable.
CONSTRAINTS: dict[str, Callable[[cp.Variable, Build], list[cp.Constraint]]] = {
    "long_only": long_only,
    "budget": budget,
    "cash": cash,
    "bounds": bounds,
    "theme_caps": theme_caps,
    "turnover": turnover,
    "liquidity": liquidity,
    "stablecoin": stablecoin,
}
