"""indexer.strategy: strategy files (YAML -> pydantic) made executable, with overlays.

``Strategy.from_yaml(path).target(data, as_of)`` composes universe selection,
signals, the optimiser, overlays (regime filter, volatility target, drawdown
guard) and compliance, using only data up to ``as_of``.
"""

from __future__ import annotations

from indexer.strategy.overlays import OVERLAYS, DrawdownGuard, RegimeFilter, VolTarget
from indexer.strategy.spec import RebalanceSpec, StrategySpec
from indexer.strategy.strategy import Strategy

__all__ = [
    "Strategy",
    "StrategySpec",
    "RebalanceSpec",
    "OVERLAYS",
    "RegimeFilter",
    "VolTarget",
    "DrawdownGuard",
]
