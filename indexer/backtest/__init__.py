"""indexer.backtest: walk-forward backtests on vectorbt, benchmarks, metrics, reports and sweeps.

The only package that imports vectorbt (lazily, inside the simulation).

>>> from indexer.backtest import backtest                        # doctest: +SKIP
>>> res = backtest("strategies/top10_capped.yaml", data)          # doctest: +SKIP
>>> res.stats_table()                                             # doctest: +SKIP
"""

from __future__ import annotations

import sys as _sys
import types as _types
from typing import Any as _Any

from indexer.backtest.benchmarks import BENCHMARK_LABELS, BENCHMARK_SPECS, benchmark_strategy
from indexer.backtest.costs import CostModel
from indexer.backtest.engine import DEFAULT_BENCHMARKS, attach_benchmarks, backtest, load_strategy
from indexer.backtest.metrics import STAT_KEYS, compute_stats
from indexer.backtest.result import BacktestResult
from indexer.backtest.run import run_and_report, write_outputs

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


class _CallableModule(_types.ModuleType):
    """``indexer.backtest`` is both this package and, when called, :func:`backtest`.

    Python binds a subpackage to its parent's attribute once it is imported, so
    ``indexer.backtest`` can be the package even where the top-level lazy export
    meant the function; calling the package runs the function either way.
    """

    def __call__(self, *args: _Any, **kwargs: _Any) -> BacktestResult:
        return backtest(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
