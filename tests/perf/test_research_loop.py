"""Research-loop speed: ``indexer.backtest`` and ``indexer backtest`` against a hand-written floor, in one run.

The floor is the top-10 capped index written directly in pandas + vectorbt
(:func:`floor_top10_capped`): on the first bar of every month (and the first bar
of the period) take the 10 largest non-stablecoins by latest market cap with at
least 90 bars of prices, weight them by market cap capped at 25 % (the excess
pro rata to the others), fill at the next bar's close with the same fee and
slippage, simulated by ``vbt.Portfolio.from_orders`` (target percent, one cash-
sharing group).  Its final value must match ``indexer.backtest`` within 0.1 %.

``pytest tests/perf/test_research_loop.py --benchmark-enable`` (or ``make perf``) times, warm and
in one process: the floor, ``backtest(top10_capped)`` without and with the four
benchmarks (after a first run on the same data, so they come from the run
cache), the shipped ``ai_index`` (fixed blend) and the flagship with its
walk-forward ridge blend (``tests/ml_flagship.py``), monthly and weekly, and
``indexer backtest`` with the HTML report from a cold interpreter (the stores on
disk warm: numba's kernels, benchmarks, signal features; and once with
``INDEXER_NO_RESULT_CACHE=1``, the first run on new data), beside the floor itself
run from a cold interpreter (``tests/perf/floor.py``: imports, data, vectorbt's
kernels).  ``test_zz_research_table`` prints the table with each run's ratio to
the floor (CLI rows: to the cold floor) and the issue's goal at the end of the run.  Without ``--benchmark-enable`` the same code runs once on a
short period (a check).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from indexer.backtesting import backtest
from indexer.strategy import Strategy

pytestmark = pytest.mark.perf
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from floor import FEE, SLIP, floor_top10_capped  # noqa: E402

TIMES: dict[str, float] = {}
#: Goals of issue 15 (seconds, or multiples of the floor).
GOALS = {
    "indexer top10_capped": "<= 1.3x floor",
    "indexer top10_capped + 4 benchmarks (warm)": "<= 1.6x floor",
    "indexer ai_index monthly": "<= 1.5 s",
    "indexer ai_index weekly": "<= 4 s",
    "indexer ai_index + ridge monthly": "(<= 1.5 s)",
    "indexer ai_index + ridge weekly": "(<= 4 s)",
    "CLI floor: cold python, pandas + vectorbt top10_capped": "",
    "CLI top10_capped + report (cold)": "<= 4 s",
    "CLI ai_index + report (cold)": "<= 6 s",
    "CLI ai_index + report (cold, nothing stored)": "",
}


@pytest.fixture(scope="module")
def period(benchmark_enabled: bool, reference):
    """Whole reference history when timing; a short slice (to 2021-06) for the default check."""
    return reference if benchmark_enabled else reference.between(None, "2021-06-30")


@pytest.fixture(scope="module")
def benchmark_enabled(request) -> bool:
    cfg = request.config  # pyproject's addopts has --benchmark-disable; --benchmark-enable on the command line wins
    return bool(cfg.getoption("benchmark_enable")) or not cfg.getoption("benchmark_disable")


@pytest.fixture(scope="module")
def top10() -> Strategy:
    return Strategy.from_yaml(REPO / "strategies" / "top10_capped.yaml")


def _ai(every: str) -> Strategy:
    """The flagship with its walk-forward ridge blend (tests/ml_flagship.py): the ML path."""
    sys.path.insert(0, str(REPO / "tests"))
    from ml_flagship import ai_index_ml

    return ai_index_ml(every)


def _ai_fixed(every: str) -> Strategy:
    """The shipped flagship (``strategies/ai_index.yaml``, a fixed blend) rebalanced ``every``."""
    doc = yaml.safe_load((REPO / "strategies" / "ai_index.yaml").read_text())
    doc["rebalance"] = {"every": every}
    return Strategy.from_dict(doc, source=f"ai_index ({every})")


def _timed(benchmark, name: str, fn, rounds: int):
    out = benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=0 if benchmark.disabled else 1)
    if not benchmark.disabled:
        TIMES[name] = benchmark.stats.stats.min
    return out


def test_floor_hand_written_top10(benchmark, period, top10) -> None:
    value = _timed(benchmark, "floor: pandas + vectorbt top10_capped", lambda: floor_top10_capped(period), rounds=5)
    ref = backtest(top10, period, benchmarks=False, fees=FEE, slippage=SLIP)
    assert value.index[0] == ref.equity.index[0] and value.index[-1] == ref.equity.index[-1]
    assert abs(value.iloc[-1] / ref.equity.iloc[-1] - 1.0) < 1e-3  # the same index: final values within 0.1 %
    assert len(ref.decisions) >= 12


def test_indexer_top10(benchmark, period, top10) -> None:
    res = _timed(benchmark, "indexer top10_capped",
                 lambda: backtest(top10, period, benchmarks=False, fees=FEE, slippage=SLIP), rounds=5)  # fmt: skip
    assert abs(res.equity.iloc[-1] / floor_top10_capped(period).iloc[-1] - 1.0) < 1e-3


def test_indexer_top10_with_benchmarks_warm(benchmark, period, top10) -> None:
    backtest(top10, period, fees=FEE, slippage=SLIP)  # first run on this data: benchmarks computed and cached
    res = _timed(benchmark, "indexer top10_capped + 4 benchmarks (warm)",
                 lambda: backtest(top10, period, fees=FEE, slippage=SLIP), rounds=5)  # fmt: skip
    assert set(res.benchmarks) == {"btc", "mcap_top10", "ew_top10", "btc_eth_60_40"}
    assert np.isfinite(res.stats["information_ratio"])


@pytest.mark.parametrize("every", ["monthly", "weekly"])
def test_indexer_ai_index(benchmark, benchmark_enabled, period, every: str) -> None:
    strat = _ai_fixed(every)
    res = _timed(benchmark, f"indexer ai_index {every}", lambda: backtest(strat, period, benchmarks=False), rounds=2)
    months = (period.end - period.start).days / 30.4
    assert len(res.decisions) >= (months - 12) * (1 if every == "monthly" else 4)  # from the 200-bar lookback on
    assert all(tp.diagnostics["signals"]["model_status"] == "fixed weights" for tp in res.targets if "signals" in tp.diagnostics)


@pytest.mark.parametrize("every", ["monthly", "weekly"])
def test_indexer_ai_index_ridge(benchmark, period, every: str) -> None:
    strat = _ai(every)
    res = _timed(benchmark, f"indexer ai_index + ridge {every}", lambda: backtest(strat, period, benchmarks=False),
                 rounds=2)  # fmt: skip
    fitted = [tp for tp in res.targets if "fitted" in tp.diagnostics["signals"]["model_status"]]
    assert len(fitted) >= len(res.targets) // 2  # the ML model decided (not its fixed fallback)


@pytest.mark.parametrize("name, stored", [("top10_capped", True), ("ai_index", True), ("ai_index", False)])
def test_cli_backtest_with_report_cold(benchmark, benchmark_enabled, name: str, stored: bool, tmp_path) -> None:
    """``indexer backtest STRATEGY`` (HTML report, CSV, JSON; the four benchmarks) in a fresh interpreter;
    ``stored=False``: with ``INDEXER_NO_RESULT_CACHE=1`` (benchmarks and signals computed, as on new data)."""
    if not benchmark_enabled and (name != "top10_capped" or not stored):
        pytest.skip("timing only: the default run checks the CLI path with top10_capped")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "indexer", "backtest", str(REPO / "strategies" / f"{name}.yaml"), "--out", str(out),
           "--overwrite"]  # fmt: skip
    if not benchmark_enabled:
        cmd += ["--start", "2022-01-01", "--end", "2022-06-30"]
    env = {**os.environ, "COLUMNS": "120"}
    if not stored:
        env["INDEXER_NO_RESULT_CACHE"] = "1"
    if benchmark_enabled:  # numba's on-disk cache, the models and result stores and the OS file cache warm
        assert subprocess.run(cmd, env=env, capture_output=True, timeout=600).returncode == 0
    label = f"CLI {name} + report (cold{'' if stored else ', nothing stored'})"
    proc = _timed(benchmark, label, lambda: subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600),
                  rounds=2)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    html = out / "report.html"
    assert html.is_file() and html.stat().st_size < 5_500_000  # was 6.3 MB for ai_index before thinning
    assert not (out / "equity.png").exists()  # PNGs only with --png


def test_cli_floor_cold(benchmark, benchmark_enabled) -> None:
    """The floor index (``tests/perf/floor.py``) in a fresh interpreter: imports, data, vectorbt; no report."""
    if not benchmark_enabled:
        pytest.skip("timing only")
    cmd = [sys.executable, str(Path(__file__).resolve().parent / "floor.py")]
    env = {**os.environ}
    assert subprocess.run(cmd, env=env, capture_output=True, timeout=600).returncode == 0  # OS file cache warm
    proc = _timed(benchmark, "CLI floor: cold python, pandas + vectorbt top10_capped",
                  lambda: subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600), rounds=2)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert float(proc.stdout.split()[-1]) > 0


def _met(goal: str, seconds: float, ratio: float) -> str:
    """``yes``/``no`` for a goal such as ``<= 1.3x floor`` or ``<= 4 s`` (parenthesised goals are for reference)."""
    if not goal or goal.startswith("("):
        return ""
    limit = float(goal.split()[1].rstrip("x"))
    return "yes" if (ratio if goal.endswith("floor") else seconds) <= limit else "no"


def research_table(times: dict[str, float]) -> str:
    """The timings beside the floor: ``| run | min s | x floor | goal | met |`` (markdown)."""
    floor = times["floor: pandas + vectorbt top10_capped"]
    cold = times.get("CLI floor: cold python, pandas + vectorbt top10_capped")
    lines = ["| run | min s | x floor | goal | met |", "|---|---:|---:|---|---|"]
    for name, t in times.items():
        base = cold if name.startswith("CLI") and cold else floor  # CLI rows: against the cold floor
        goal = GOALS.get(name, "")
        lines.append(f"| {name} | {t:.2f} | {t / base:.2f} | {goal} | {_met(goal, t, t / base)} |")
    return "\n".join(lines)


def test_zz_research_table(perf_table) -> None:
    """The timings beside the floor, printed at the end of the run (needs ``--benchmark-enable``)."""
    assert TIMES.get("floor: pandas + vectorbt top10_capped"), "run with --benchmark-enable"
    table = research_table(TIMES)
    perf_table("research loop (tests/perf/test_research_loop.py; seconds are the min of the rounds)", table)
    print("\n" + table)
