"""What ``indexer validate`` can decide before a backtest: whether the constraints can ever be met.

Checked from the strategy file and the asset registry alone (no prices):

* caps: ``max_weight`` (or ``market_cap`` ``params.max_weight``) x the most assets the
  universe can hold (``top_n`` + ``include``, ``max_holdings``, the registry assets
  the screens leave) + ``cash_max`` must reach 1;
* floors: ``min_weight`` x ``top_n`` + ``cash_min`` and the ``per_asset`` minimums
  must not exceed 1;
* group budgets: when ``theme_caps`` cover every eligible asset, their sum + ``cash_max``
  must reach 1; ``stablecoin_min`` needs stablecoins or cash room;
* ``fixed`` weights must respect ``max_weight`` / ``per_asset`` and name no excluded asset.

Each problem names the fields involved.  Conditions that depend on prices
(target return vs the data) are checked by ``validate --data``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from indexer._typing import CASH

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData
    from indexer.data.registry import AssetRegistry
    from indexer.strategy.spec import StrategySpec

__all__ = ["feasibility_problems", "eligible_assets", "target_return_problems"]

_EPS = 1e-9


def eligible_assets(spec: StrategySpec, registry: AssetRegistry) -> list[str]:
    """Registry symbols the universe's static screens (kinds, themes, exclude) leave, plus ``include``."""
    u = spec.universe
    out = []
    for s in registry:
        kind = registry.kind(s)
        if kind in u.exclude_kinds or s in u.exclude:
            continue
        tags = set(registry.themes(s)) | {kind}
        if u.themes is not None and not tags & set(u.themes):
            continue
        if tags & set(u.exclude_themes):
            continue
        out.append(s)
    return list(dict.fromkeys([*out, *[s for s in u.include if s not in u.exclude]]))


def feasibility_problems(spec: StrategySpec, registry: AssetRegistry | None = None) -> list[str]:
    """Every constraint combination of ``spec`` that can never be met, one message each (``[]``: none found)."""
    if registry is None:
        from indexer.data.registry import default_registry

        registry = default_registry()
    opt = spec.optimiser
    c = opt.constraints
    u = spec.universe
    probs: list[str] = []
    eligible = eligible_assets(spec, registry)
    n_max, why = len(eligible), "assets the universe screens leave in the registry"
    if u.top_n is not None and u.top_n + len(u.include) < n_max:
        n_max, why = u.top_n + len(u.include), "universe.top_n" + (" + universe.include" if u.include else "")
    if c.max_holdings is not None and c.max_holdings < n_max:
        n_max, why = c.max_holdings, "optimiser.constraints.max_holdings"
    if n_max == 0:
        probs.append("universe: no asset of the registry passes exclude_kinds / themes / exclude; the universe is always empty")
        return probs

    caps: list[tuple[float, str]] = []
    if c.max_weight is not None:
        caps.append((c.max_weight, "optimiser.constraints.max_weight"))
    if opt.objective == "market_cap" and opt.param("max_weight") is not None:
        caps.append((float(opt.param("max_weight")), "optimiser.params.max_weight"))
    if caps and not c.per_asset:
        cap, field = min(caps)
        room = cap * n_max + c.cash_max
        if room < 1.0 - _EPS:
            probs.append(
                f"{field} {cap:g} x at most {n_max} assets ({why}) + optimiser.constraints.cash_max {c.cash_max:g} "
                f"= {room:.4g} < 1: the weights can never sum to 1; raise {field.split('.')[-1]}, hold more assets "
                "or allow cash (cash_max)"
            )
    if c.min_weight > 0:
        n_full = u.top_n if u.top_n is not None else n_max
        if c.max_holdings is not None:
            n_full = min(n_full, c.max_holdings)
        floor = c.min_weight * n_full + c.cash_min
        if floor > 1.0 + _EPS:
            probs.append(
                f"optimiser.constraints.min_weight {c.min_weight:g} x {n_full} assets + cash_min {c.cash_min:g} = "
                f"{floor:.4g} > 1: infeasible whenever the universe is full; lower min_weight or universe.top_n"
            )
    if c.per_asset:
        mins = sum(b.min for b in c.per_asset.values()) + c.cash_min
        if mins > 1.0 + _EPS:
            probs.append(f"optimiser.constraints.per_asset minimums + cash_min sum to {mins:.4g} > 1")
        if c.max_weight is not None:
            for a, b in c.per_asset.items():
                if b.min > c.max_weight + _EPS:
                    probs.append(f"optimiser.constraints.per_asset.{a}.min {b.min:g} > optimiser.constraints.max_weight {c.max_weight:g}")
        for a in c.per_asset:
            if a in u.exclude:
                probs.append(f"optimiser.constraints.per_asset.{a}: {a} is in universe.exclude and can never be held")
    if c.theme_caps:
        def capped(s: str) -> float | None:
            tags = set(registry.themes(s)) | {registry.kind(s)}
            hits = [cap for t, cap in c.theme_caps.items() if t in tags]
            return min(hits) if hits else None

        per = [capped(s) for s in eligible]
        if per and all(x is not None for x in per):
            total = sum(c.theme_caps.values()) + c.cash_max
            if total < 1.0 - _EPS:
                names = ", ".join(f"{t} {v:g}" for t, v in c.theme_caps.items())
                probs.append(
                    f"optimiser.constraints.theme_caps ({names}) cover every eligible asset and sum with cash_max "
                    f"{c.cash_max:g} to {total:.4g} < 1: the weights can never sum to 1"
                )
    if c.stablecoin_min is not None and c.stablecoin_min > c.cash_max + _EPS:
        stables = [s for s in eligible if registry.kind(s) == "stablecoin"]
        if not stables:
            probs.append(
                f"optimiser.constraints.stablecoin_min {c.stablecoin_min:g} > cash_max {c.cash_max:g} while "
                "universe.exclude_kinds drops every stablecoin: it can never be met"
            )
    if c.cash_min > c.cash_max + _EPS:
        probs.append(f"optimiser.constraints.cash_min {c.cash_min:g} > cash_max {c.cash_max:g}")
    if opt.objective == "fixed":
        w = {str(k).upper(): float(v) for k, v in (opt.param("weights") or {}).items()}
        for a, x in w.items():
            if a == CASH:
                continue
            if a in u.exclude:
                probs.append(f"optimiser.params.weights.{a}: {a} is in universe.exclude")
            limit = c.per_asset[a].max if a in c.per_asset else c.max_weight
            if limit is not None and x > limit + _EPS:
                probs.append(f"optimiser.params.weights.{a} {x:g} > its cap {limit:g} (optimiser.constraints)")
    return probs


def target_return_problems(spec: StrategySpec, data: MarketData) -> list[str]:
    """List the ``target_return`` problems: is ``required_return`` above what any single eligible asset earned over the data."""
    opt = spec.optimiser
    if opt.objective != "target_return" or opt.param("if_unreachable") != "error":
        return []
    import numpy as np

    req = float(opt.param("required_return"))
    close = data.close
    cols = [a for a in eligible_assets(spec, data.assets) if a in close.columns]
    if not cols:
        return []
    window = close[cols].iloc[-(spec.estimation_window + 1):]
    mean = window.pct_change().iloc[1:].mean() * 365.0
    best = float(np.nanmax(mean.to_numpy())) if mean.notna().any() else float("nan")
    if best == best and req > best:
        return [
            f"optimiser.params.required_return {req:g} is above the best eligible asset's mean annual return "
            f"{best:.4g} ({mean.idxmax()}) over the last {spec.estimation_window} bars of the data to "
            f"{data.end.date()}: unreachable now; lower it or set if_unreachable: max_return"
        ]
    return []


