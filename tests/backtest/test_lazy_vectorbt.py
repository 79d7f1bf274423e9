"""vectorbt (about 2 s to import) is imported by the simulation step only, not by importing the library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import importlib, json, pkgutil, sys
import indexer
skip = ("indexer.__main__",)  # runs the command line on import
names = [m.name for m in pkgutil.iter_modules(indexer.__path__, "indexer.") if not m.name.startswith(skip)]
for name in names:
    importlib.import_module(name)
from indexer.backtesting.report import figure_specs, render_html
out = {"modules": names, "after_import": "vectorbt" in sys.modules}
from indexer.backtesting import backtest, load_strategy
from indexer.data import load_reference
data = load_reference().between("2023-01-01", "2023-12-31")
res = backtest(load_strategy(sys.argv[1]), data, benchmarks=False)
out["after_backtest"] = "vectorbt" in sys.modules
out["decisions"] = len(res.decisions)
print(json.dumps(out))
"""


def test_importing_the_library_does_not_import_vectorbt(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO / "strategies" / "top10_capped.yaml")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env={**os.environ})  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"indexer.backtesting", "indexer.strategy", "indexer.data", "indexer.signals", "indexer.optimiser",
            "indexer.execution", "indexer.bot", "indexer.cli", "indexer.sim"} <= set(out["modules"])  # fmt: skip
    assert out["after_import"] is False
    assert out["after_backtest"] is True and out["decisions"] >= 8  # the simulation step imported it


def test_asking_a_strategy_for_its_target_does_not_import_vectorbt(tmp_path) -> None:
    code = ("import sys; sys.argv = ['indexer', 'strategy', 'target', sys.argv[1], '--as-of', '2024-06-01']; "
            "from indexer.cli.main import app\n"
            "try:\n    app()\nexcept SystemExit as e:\n    print('exit', e.code, 'vectorbt' in sys.modules)")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code, str(REPO / "strategies" / "ai_index.yaml")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env={**os.environ})  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] in ("exit 0 False", "exit None False")
