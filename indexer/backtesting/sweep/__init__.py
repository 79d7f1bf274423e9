"""Parameter sweeps (grid / random) over strategy files, locally or on Dask, with the deflated Sharpe ratio."""

from __future__ import annotations

from indexer.backtesting.sweep.dsr import deflated_sharpe, expected_max_sharpe, probabilistic_sharpe
from indexer.backtesting.sweep.runner import SweepResult, apply_overrides, expand_params, run_sweep, run_trial
from indexer.backtesting.sweep.spec import CostGrid, RandomRange, SweepSpec, load_sweep

__all__ = [
    "run_sweep",
    "run_trial",
    "SweepResult",
    "SweepSpec",
    "RandomRange",
    "CostGrid",
    "load_sweep",
    "expand_params",
    "apply_overrides",
    "deflated_sharpe",
    "expected_max_sharpe",
    "probabilistic_sharpe",
]
