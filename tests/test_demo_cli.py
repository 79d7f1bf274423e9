"""``indexer demo`` (what ``make demo`` runs): data source order, the report, and a clear error when no source exists."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INDEXER = [sys.executable, "-m", "indexer"]


def _run(args: list[str], env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(INDEXER + args, cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def test_demo_imports_shared_data_then_uses_the_cache(shared_data: Path, tmp_path: Path) -> None:
    env = {"INDEXER_DATA_DIR": str(tmp_path / "cache"), "INDEXER_SHARED_DATA": str(shared_data), "COLUMNS": "200"}
    out = tmp_path / "demo"
    first = _run(["demo", "--strategy", "strategies/top10_capped.yaml", "--out", str(out)], env)
    assert first.returncode == 0, first.stderr
    assert "importing the reference data" in first.stdout
    assert (out / "report.html").stat().st_size > 100_000
    stats = json.loads((out / "stats.json").read_text())
    assert "top10_capped" in json.dumps(stats) and "sharpe" in json.dumps(stats)
    assert "Sharpe" in first.stdout and str(out / "report.html") in first.stdout.replace("\n", "")
    second = _run(["demo", "--strategy", "strategies/top10_capped.yaml", "--out", str(tmp_path / "again")], env)
    assert second.returncode == 0, second.stderr
    assert "using the local cache" in second.stdout


def test_demo_without_any_source_says_why(tmp_path: Path) -> None:
    # The download attempt is sent to a closed loopback port (proxy), so no traffic leaves the machine.
    closed = "http://127.0.0.1:9"
    env = {"INDEXER_DATA_DIR": str(tmp_path / "empty"), "INDEXER_SHARED_DATA": str(tmp_path / "absent"), "COLUMNS": "400",
           "HTTPS_PROXY": closed, "HTTP_PROXY": closed, "https_proxy": closed, "http_proxy": closed, "NO_PROXY": ""}
    proc = _run(["demo", "--out", str(tmp_path / "demo")], env, timeout=120)
    assert proc.returncode == 2
    err = " ".join(proc.stderr.split())
    assert "no data source could be reached" in err
    assert str(tmp_path / "absent") in err and "binance" in err
    assert not (tmp_path / "demo" / "report.html").exists()
