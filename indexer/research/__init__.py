"""Research studies built on the backtest: survivorship bias (point-in-time vs survivors-only membership)."""

from __future__ import annotations

from indexer.research.survivorship import SurvivorshipReport, survivors_only, survivorship

__all__ = ["SurvivorshipReport", "survivors_only", "survivorship"]
