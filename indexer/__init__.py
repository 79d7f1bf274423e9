"""indexer: an AI-assisted crypto index fund rebalancer.

Signals feed a cvxpy risk-adjusted optimiser; a :class:`Strategy` answers
``strategy.target(data, as_of) -> TargetPortfolio`` from data known at
``as_of``; the backtest (vectorbt), the bot (ccxt) and notebooks all ask it the
same way.

Public names are imported lazily so that ``import indexer`` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # errors
    "IndexerError": "indexer.exceptions",
    "ConfigError": "indexer.exceptions",
    "DataError": "indexer.exceptions",
    "StaleDataError": "indexer.exceptions",
    "SignalError": "indexer.exceptions",
    "OptimisationError": "indexer.exceptions",
    "ComplianceError": "indexer.exceptions",
    "ExecutionError": "indexer.exceptions",
    "RetryableExecutionError": "indexer.exceptions",
    "OrderRejected": "indexer.exceptions",
    # types
    "TargetPortfolio": "indexer._typing",
    "WeightCaps": "indexer._typing",
    "Holdings": "indexer._typing",
    "OrderIntent": "indexer._typing",
    "Fill": "indexer._typing",
    "CASH": "indexer._typing",
    # data
    "MarketData": "indexer.data",
    "Sentiment": "indexer.data",
    "AssetRegistry": "indexer.data",
    "validate_panel": "indexer.data",
    "load_reference": "indexer.data",
    "read_csv": "indexer.data",
    "read_parquet": "indexer.data",
    # layers
    "signals": "indexer.signals",
    "optimise": "indexer.optimiser",
    "Strategy": "indexer.strategy",
    "backtest": "indexer.backtesting",
    "BacktestResult": "indexer.backtesting",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'indexer' has no attribute {name!r}")
    mod = import_module(module)
    # A name equal to its subpackage's (``signals``, ``backtest``) is the subpackage itself, as Python
    # binds it on import anyway; ``indexer.backtest`` is callable and runs ``indexer.backtesting.backtest``.
    value = mod if name == module.rsplit(".", 1)[-1] else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
