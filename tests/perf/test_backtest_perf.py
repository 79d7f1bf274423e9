"""Backtest speed (pytest-benchmark; `make perf` enables it, the default run checks the code paths on small sizes).

* walk-forward of 100 assets x 8 years daily, weekly decisions (signals, mean-variance optimiser,
  vectorbt simulation), history trimmed to the strategy's lookback (checked to give the same weights),
  and the default (whole history shown at every decision);
* the simulation alone: vectorbt ``from_orders`` against a plain NumPy loop of the same orders (peer);
* ``indexer backtest`` cold start in a subprocess (imports + numba's on-disk cache, no compilation).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indexer.backtesting import backtest
from indexer.data import MarketData

pytestmark = pytest.mark.perf
REPO = Path(__file__).resolve().parents[2]

SPEC = {
    "name": "perf100",
    "universe": {"top_n": 100, "min_history_days": 60, "exclude_kinds": ["stablecoin"]},
    "signals": {
        "signals": [
            {"name": "momentum", "params": {"horizon": 30}},
            {"name": "vol_adjusted_momentum", "params": {"horizon": 90}},
        ],
        "normalise": "zscore",
    },
    "optimiser": {
        "objective": "mean_variance",
        "params": {"risk_aversion": 1.0},
        "risk_model": {"name": "ledoit_wolf"},
        "constraints": {"max_weight": 0.05},
        "fallback": ["equal_weight"],
    },
    "estimation_window": 90,
    "rebalance": {"every": "weekly"},
}


def synthetic_market(n_assets: int, days: int, seed: int = 7) -> MarketData:
    """One-factor log-normal prices with market caps and USD volumes (reproducible)."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2017-01-01", periods=days, freq="D", tz="UTC", name="timestamp")
    cols = pd.Index([f"S{i:03d}" for i in range(n_assets)], name="asset")
    market = rng.normal(0.0008, 0.03, days)
    r = market[:, None] * rng.uniform(0.6, 1.5, n_assets) + rng.normal(0.0, 0.03, (days, n_assets))
    close = pd.DataFrame(100 * np.exp(np.cumsum(r, axis=0)), index=idx, columns=cols)
    cap = close * rng.lognormal(16, 1.5, n_assets)
    return MarketData(close=close, volume=cap * rng.uniform(0.02, 0.1, n_assets), market_cap=cap)


def numpy_simulation(close: np.ndarray, size: np.ndarray, fee: float, cash: float) -> np.ndarray:
    """Peer: the same target-percent orders in a plain loop (sells first, fills at close, fee on notional)."""
    units = np.zeros(close.shape[1])
    out = np.empty(len(close))
    for i in range(len(close)):
        row = size[i]
        if np.isfinite(row).any():
            px = close[i]
            value = cash + np.nansum(units * px)
            delta = np.where(np.isfinite(row), row * value / px - units, 0.0)
            for j in np.argsort(delta * px):
                if delta[j] < 0:
                    cash += -delta[j] * px[j] * (1 - fee)
                elif delta[j] > 0:
                    d = min(delta[j], cash / (px[j] * (1 + fee)))
                    cash -= d * px[j] * (1 + fee)
                    delta[j] = d
                units[j] += delta[j]
        out[i] = cash + np.nansum(units * close[i])
    return out


@pytest.fixture
def sizes(benchmark):
    """Full size when benchmarking (``--benchmark-enable``), small otherwise (a quick check of the code path)."""
    return (20, 400) if benchmark.disabled else (100, 8 * 365)


def test_walk_forward_100_assets_weekly(benchmark, sizes):
    from indexer.strategy import Strategy

    n_assets, days = sizes
    data = synthetic_market(n_assets, days)
    strat = Strategy.from_dict(SPEC)
    # trimming the history to the lookback must not change any decision (checked on a short run)
    short = data.between(None, data.index[min(days, 300) - 1])
    a = backtest(strat, short, benchmarks=False)
    b = backtest(strat, short, benchmarks=False, history=strat.lookback)
    pd.testing.assert_frame_equal(a.weights, b.weights, rtol=1e-6, atol=1e-8)
    res = benchmark.pedantic(
        backtest, args=(strat, data), kwargs={"benchmarks": False, "history": strat.lookback}, rounds=1, iterations=1
    )
    assert len(res.decisions) >= (days - strat.lookback) // 7 - 1
    assert np.isfinite(res.stats["sharpe"])


def test_walk_forward_100_assets_weekly_full_history(benchmark, sizes):
    """The default a user runs: the strategy sees everything since the data's start at every decision."""
    from indexer.strategy import Strategy

    n_assets, days = sizes
    data = synthetic_market(n_assets, days)
    strat = Strategy.from_dict(SPEC)
    res = benchmark.pedantic(backtest, args=(strat, data), kwargs={"benchmarks": False}, rounds=1, iterations=1)
    assert len(res.decisions) >= (days - strat.lookback) // 7 - 1
    assert np.isfinite(res.stats["sharpe"])
    # the same decisions as the trimmed run on the first 300 bars (signals' fast last-row path on both)
    short = data.between(None, data.index[min(days, 300) - 1])
    b = backtest(strat, short, benchmarks=False, history=strat.lookback)
    full = res.weights.iloc[: len(b.weights)]
    cols = full.columns.union(b.weights.columns)
    pd.testing.assert_frame_equal(full.reindex(columns=cols).fillna(0.0), b.weights.reindex(columns=cols).fillna(0.0),
                                  rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("engine", ["vectorbt", "numpy_loop"])
def test_simulation_only(benchmark, sizes, engine):
    from indexer.backtesting.simulate import simulate

    n_assets, days = sizes
    data = synthetic_market(n_assets, days, seed=3)
    close = data.close
    size = np.full(close.shape, np.nan)
    rng = np.random.default_rng(0)
    for i in range(0, days, 7):
        w = rng.dirichlet(np.ones(n_assets))
        size[i] = w
    if engine == "vectorbt":
        simulate(close.iloc[:10], size[:10], np.zeros((10, n_assets)), fee=0.001, init_cash=1e5)  # warm
        out = benchmark(lambda: simulate(close, size, np.zeros(close.shape), fee=0.001, init_cash=1e5).equity)
        ref = numpy_simulation(close.to_numpy(), size, 0.001, 1e5)
        np.testing.assert_allclose(out.to_numpy(), ref, rtol=1e-9)
    else:
        out = benchmark(numpy_simulation, close.to_numpy(), size, 0.001, 1e5)
        assert np.isfinite(out).all()


def test_cli_cold_start(benchmark, reference, tmp_path):
    """``indexer backtest`` in a fresh interpreter; the reference data cache and numba's cache are warm."""
    env = {**os.environ, "COLUMNS": "120"}
    cmd = [sys.executable, "-m", "indexer", "backtest", str(REPO / "strategies" / "top10_capped.yaml"),
           "--start", "2025-06-01", "--no-benchmarks", "--no-report", "--out", str(tmp_path / "out"),
           "--overwrite"]  # fmt: skip  (the warm-up run wrote the folder)
    if not benchmark.disabled:  # warm numba's on-disk cache and the OS file cache first
        warm = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert warm.returncode == 0, warm.stderr[-2000:]

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)

    proc = benchmark.pedantic(run, rounds=3 if not benchmark.disabled else 1, iterations=1)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Sharpe" in proc.stdout and (tmp_path / "out" / "stats.json").is_file()
