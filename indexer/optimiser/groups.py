"""Constraint group names a spec switches on and their descriptions (no cvxpy needed).

The cvxpy constraint callables live in :mod:`indexer.optimiser.constraints`;
this module is what the engines that do not build cvxpy problems (DAQP,
direct Clarabel) and error messages need, so importing it stays cheap.
"""

from __future__ import annotations

from indexer.optimiser.spec import ConstraintsSpec

__all__ = ["ALWAYS", "groups_for", "describe"]

#: Groups present in every problem.
ALWAYS = ("long_only", "budget", "cash")


def groups_for(c: ConstraintsSpec, has_holdings: bool = True) -> tuple[str, ...]:
    """Constraint groups a spec switches on (always including long_only, budget and cash).

    The turnover limit applies only when there are previous weights (a first
    allocation from nothing is not limited).
    """
    on = set(c.active())
    if not has_holdings:
        on.discard("turnover")
    groups = list(ALWAYS)
    if on & {"min_weight", "max_weight", "per_asset"}:
        groups.append("bounds")
    groups += [g for g in ("theme_caps", "turnover", "liquidity", "stablecoin") if g in on]
    return tuple(groups)


def describe(group: str, c: ConstraintsSpec) -> str:
    """Human description of a group's settings, for error messages."""
    if group == "bounds":
        per = {a: (b.min, b.max) for a, b in c.per_asset.items()}
        return f"bounds (min_weight={c.min_weight}, max_weight={c.max_weight}" + (f", per_asset={per})" if per else ")")
    if group == "cash":
        return f"cash (cash_min={c.cash_min}, cash_max={c.cash_max})"
    if group == "theme_caps":
        return f"theme_caps ({c.theme_caps})"
    if group == "turnover":
        return f"turnover (<= {c.turnover} L1 vs previous weights)"
    if group == "liquidity":
        return f"liquidity (weight x portfolio value <= {c.liquidity} x ADV)"
    if group == "stablecoin":
        return f"stablecoin (min={c.stablecoin_min}, max={c.stablecoin_max}, CASH + stablecoins)"
    return group
