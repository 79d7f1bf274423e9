"""Every asset a strategy file names must exist: unknown symbols are errors with a did-you-mean.

A typo such as ``exclude: [ETHH]`` would otherwise hold ETH without a word, and a
restricted-asset rule would fail silently.  Checked fields: ``universe.include``,
``universe.exclude``, ``compliance.rules.restricted``, ``compliance.rules.accredited_only``,
``compliance.rules.jurisdiction_bans.<j>.symbols``, ``optimiser.constraints.per_asset``,
the assets of ``optimiser.constraints.linear`` and the asset keys of ``optimiser.params``
(``weights`` of ``fixed``, ``budgets`` of ``risk_parity``).  The groups of
``optimiser.constraints.linear`` must be registry themes or kinds.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from indexer._typing import CASH
from indexer.exceptions import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.registry import AssetRegistry
    from indexer.strategy.spec import StrategySpec

__all__ = ["named_assets", "check_asset_names", "did_you_mean"]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'ETH'?)`` for the closest known name, or ``""``."""
    close = difflib.get_close_matches(name.upper(), [k.upper() for k in known], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _closest_group(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name.lower(), sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def named_assets(spec: StrategySpec) -> Iterator[tuple[str, str]]:
    """``(field path, symbol)`` for every asset the strategy names."""
    u = spec.universe
    for field in ("include", "exclude"):
        for s in getattr(u, field):
            yield f"universe.{field}", s
    if spec.compliance is not None:
        rules = spec.compliance.rules
        for field in ("restricted", "accredited_only"):
            for s in getattr(rules, field):
                yield f"compliance.rules.{field}", s
        for j, ban in rules.jurisdiction_bans.items():
            for s in ban.symbols:
                yield f"compliance.rules.jurisdiction_bans.{j}.symbols", s
    opt = spec.optimiser
    for s in opt.constraints.per_asset:
        yield "optimiser.constraints.per_asset", s
    for i, lc in enumerate(opt.constraints.linear):
        for s in lc.assets or {}:
            if str(s).upper() != CASH:
                yield f"optimiser.constraints.linear[{i}].assets", s
    for key in ("weights", "budgets"):
        val = (opt.params or {}).get(key)
        if isinstance(val, dict):
            for s in val:
                if str(s).upper() != CASH:
                    yield f"optimiser.params.{key}", str(s)


def check_asset_names(spec: StrategySpec, source: str, registry: AssetRegistry | None = None) -> None:
    """Raise one :class:`ConfigError` naming every unknown asset, its field and the closest known symbol.

    ``registry`` defaults to the project's asset registry (``indexer/data/assets.yaml``);
    pass your own (e.g. ``data.assets``) for data with assets the project does not list.
    """
    from indexer.data.registry import default_registry

    reg = registry if registry is not None else default_registry()
    known = {str(s).upper() for s in reg}
    problems = [
        f"{source}: {path}: unknown asset {sym!r} (not in the asset registry){did_you_mean(sym, known)}"
        for path, sym in named_assets(spec)
        if str(sym).upper() not in known
    ]
    groups = {t for s in reg for t in (*reg.themes(s), reg.kind(s))}
    problems += [
        f"{source}: optimiser.constraints.linear[{i}].group: unknown group {lc.group!r} "
        f"(not a theme or kind of the asset registry){_closest_group(lc.group, groups)}"
        for i, lc in enumerate(spec.optimiser.constraints.linear)
        if lc.group is not None and lc.group.lower() not in groups
    ]
    if problems:
        raise ConfigError("\n".join(problems))


