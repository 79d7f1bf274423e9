"""indexer.backtesting: walk-forward backtests on vectorbt, benchmarks, metrics, reports and sweeps.

The only package that imports vectorbt (lazily, inside the simulation).  The
top-level :func:`indexer.backtest` is this package's :func:`backtest` (a plain
function; the package is named ``backtesting`` so that importing it never
rebinds ``indexer.backtest``).

>>> from indexer.backtesting import backtest                        # doctest: +SKIP
>>> res = backtest("strategies/top10_capped.yaml", data)          # doctest: +SKIP
>>> res.stats_table()                                             # doctest: +SKIP
"""

from __future__ import annotations

from indexer.backtesting.benchmarks import BENCHMARK_LABELS, BENCHMARK_SPECS, benchmark_strategy
from indexer.backtesting.costs import CostModel
from indexer.backtesting.engine import DEFAULT_BENCHMARKS, attach_benchmarks, backtest, load_strategy
from indexer.backtesting.metrics import STAT_KEYS, compute_stats
from indexer.backtesting.outputs import run_and_report, write_outputs
from indexer.backtesting.result import BacktestResult

__all__ = [
    "backtest",
    "attach_benchmarks",
    "BacktestResult",
    "CostModel",
    "load_strategy",
    "compute_stats",
    "STAT_KEYS",
    "DEFAULT_BENCHMARKS",
    "BENCHMARK_SPECS",
    "BENCHMARK_LABELS",
    "benchmark_strategy",
    "run_and_report",
    "write_outputs",
]

