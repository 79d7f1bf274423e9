"""indexer.research: studies built on the backtest and the signals.

Survivorship bias (point-in-time vs survivors-only membership, ``indexer research
survivorship``) and the evidence behind the AI signals (per-era IC, sentiment
evaluation, CPCV, PBO, deflated Sharpe: ``indexer signals report --era``,
``indexer signals sentiment-eval``, ``indexer signals cpcv``). Research code sits
above the strategy and backtest layers (it runs them) and below the CLI.
"""

from __future__ import annotations

from indexer.research.survivorship import SurvivorshipReport, survivors_only, survivorship

__all__ = ["SurvivorshipReport", "survivors_only", "survivorship"]
