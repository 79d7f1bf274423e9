"""A loopback Binance-like spot exchange for rehearsals and tests (see ``docs/execution.md``).

Served by ``indexer exchange-sim``; real ccxt clients talk to it over HTTP.  It is not part of the
order path: import-linter keeps ``indexer.execution`` (and everything below it) from importing it.
Its market filters come from :mod:`indexer.execution.market_filters`, shared with the paper broker.
"""

from __future__ import annotations

from indexer.execution.market_filters import MarketFilters, build_markets
from indexer.sim.faults import FaultBook, FaultRule, parse_faults
from indexer.sim.matching import Engine, SimError
from indexer.sim.server import HOST, SimServer, free_port

__all__ = [
    "Engine",
    "SimError",
    "FaultBook",
    "FaultRule",
    "parse_faults",
    "MarketFilters",
    "build_markets",
    "SimServer",
    "free_port",
    "HOST",
]
