"""The ``indexer`` process: exit codes and output through the fast exit, profilers, vectorbt without widgets.

Every check runs a fresh interpreter, as a user's shell does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "COLUMNS": "120", **env})  # fmt: skip


def test_backtest_exits_zero_with_every_file_and_line_written(tmp_path) -> None:
    out = tmp_path / "out"
    proc = _run(["-m", "indexer", "backtest", str(REPO / "strategies" / "top10_capped.yaml"), "--out", str(out),
                 "--start", "2024-01-01", "--end", "2024-06-30", "--no-benchmarks"], tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "stats" in proc.stdout and str(out.resolve()) in proc.stdout.replace("\n", "")  # stdout flushed to the end
    assert json.loads((out / "stats.json").read_text())["stats"]["n_rebalances"] >= 6
    assert (out / "report.html").stat().st_size > 100_000


def test_errors_keep_their_exit_code_and_message(tmp_path) -> None:
    proc = _run(["-m", "indexer", "backtest", str(tmp_path / "missing.yaml")], tmp_path)
    assert proc.returncode == 2  # bad input (handle_errors)
    assert "missing.yaml" in proc.stderr
    usage = _run(["-m", "indexer", "backtest", "--no-such-option"], tmp_path)
    assert usage.returncode == 2 and "No such option" in usage.stderr


def test_atexit_handlers_run_before_the_fast_exit(tmp_path) -> None:
    marker = tmp_path / "atexit.txt"
    code = ("import atexit, pathlib, sys; p = pathlib.Path(sys.argv[1]); atexit.register(lambda: p.write_text('ran')); "
            "sys.argv = ['indexer', '--help']; from indexer.cli.main import main; main()")  # fmt: skip
    proc = _run(["-c", code, str(marker)], tmp_path)
    assert proc.returncode == 0 and "backtest" in proc.stdout
    assert marker.read_text() == "ran"


def test_profiling_the_cli_still_writes_the_profile(tmp_path) -> None:
    prof = tmp_path / "cli.prof"
    proc = _run(["-m", "cProfile", "-o", str(prof), "-m", "indexer", "--help"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import pstats

    assert pstats.Stats(str(prof)).total_calls > 1000


def test_vectorbt_without_widgets_or_exchange_clients_only_when_asked(tmp_path) -> None:
    code = ("import sys; from indexer.backtesting._vbt import vbt; v = vbt(); "
            "loaded = [m for m in ('ipywidgets', 'ccxt') if m in sys.modules]; import ccxt; "
            "print(loaded, hasattr(v, 'Portfolio'), ccxt.__name__)")  # fmt: skip
    lean = _run(["-c", code], tmp_path, INDEXER_NO_WIDGETS="1")
    assert lean.returncode == 0, lean.stderr[-2000:]
    assert lean.stdout.split() == ["[]", "True", "ccxt"]  # ccxt still importable afterwards
    full = _run(["-c", code], tmp_path, INDEXER_NO_WIDGETS="")
    assert full.returncode == 0, full.stderr[-2000:]
    assert "'ipywidgets'" in full.stdout  # notebooks keep plotly's FigureWidget
