"""A loopback Binance-like spot exchange for rehearsals and tests (see ``docs/execution.md``)."""

from __future__ import annotations

from indexer.execution.simulator.engine import Engine, SimError
from indexer.execution.simulator.faults import FaultBook, FaultRule, parse_faults
from indexer.execution.simulator.markets import MarketSpec, build_markets
from indexer.execution.simulator.server import HOST, SimServer, free_port

__all__ = [
    "Engine",
    "SimError",
    "FaultBook",
    "FaultRule",
    "parse_faults",
    "MarketSpec",
    "build_markets",
    "SimServer",
    "free_port",
    "HOST",
]
