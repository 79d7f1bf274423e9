"""The notebook-style example in README.md runs as written on the reference data."""

from __future__ import annotations

import os
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(reference, monkeypatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    assert blocks, "README.md has no python example"
    monkeypatch.chdir(REPO)
    scope: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), scope)  # noqa: S102 - the documented example itself
    target, result = scope["target"], scope["result"]
    assert abs(float(target.weights.sum()) - 1.0) < 1e-9
    assert target.as_of.tz is not None and str(target.as_of.date()) == "2024-06-30"
    assert {"cagr", "sharpe", "max_drawdown"} <= set(result.stats)
    assert result.equity.index[0] >= reference.index[0]
    assert os.environ.get("INDEXER_DATA_DIR")  # the example used the isolated test cache


def test_indexer_backtest_is_the_function_after_the_package_is_imported(reference) -> None:
    import inspect

    import indexer
    import indexer.backtesting  # noqa: F401 - importing the subpackage must not rebind indexer.backtest
    import indexer.backtesting.engine  # noqa: F401

    assert inspect.isfunction(indexer.backtest)
    assert indexer.backtest is indexer.backtesting.engine.backtest
    assert indexer.backtesting.backtest is indexer.backtest
    res = indexer.backtest("strategies/top10_capped.yaml", reference, start="2024-01-01", benchmarks=False)
    direct = indexer.backtesting.engine.backtest("strategies/top10_capped.yaml", reference, start="2024-01-01", benchmarks=False)
    assert res.equity.equals(direct.equity)
