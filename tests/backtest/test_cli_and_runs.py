"""The ``indexer backtest`` command, ``run_and_report`` and ``python -m backtests.run_all`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(reference):  # the reference fixture fills the test cache load_reference() reads
    from indexer.cli.main import app

    return app


def test_cli_backtest_writes_outputs(app, tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["backtest", str(REPO / "strategies" / "top10_capped.yaml"), "--start", "2023-01-01",
                                   "--end", "2023-12-31", "--fees", "0.002", "--out", str(out), "--no-report"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Sharpe" in res.output and "MCap10" in res.output
    for name in ("weights.csv", "equity.csv", "stats.json"):
        assert (out / name).is_file()
    stats = json.loads((out / "stats.json").read_text())
    assert stats["settings"]["costs"]["taker_fee"] == 0.002
    assert set(stats["benchmarks"]) == {"btc", "mcap_top10", "ew_top10", "btc_eth_60_40"}
    assert stats["stats"]["end"].startswith("2023-12-31")


def test_cli_bad_strategy_file_names_field(app, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nrebalance: {every: hourly}\n")
    res = CliRunner().invoke(app, ["backtest", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "rebalance" in res.output and "every" in res.output
    assert not (tmp_path / "o").exists()


def test_run_all_writes_reports_and_comparison(reference, tmp_path):
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "backtests.run_all", "--only", "top10_capped", "--end", "2021-09-30",
           "--out", str(tmp_path)]  # fmt: skip
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    md = (tmp_path / "comparison.md").read_text()
    assert "| **top10_capped** |" in md and "_BTC buy & hold_ (benchmark)" in md
    assert (tmp_path / "top10_capped" / "report.html").stat().st_size > 1_000_000  # plotly inline
    assert (tmp_path / "top10_capped" / "equity.png").is_file()
