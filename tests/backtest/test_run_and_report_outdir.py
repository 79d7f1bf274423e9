"""``run_and_report`` (``indexer demo``, ``make backtests``) writes its folder atomically with a manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.backtesting import run_and_report
from indexer.exceptions import ConfigError

REPO = Path(__file__).resolve().parents[2]
STRATEGY = REPO / "strategies" / "top10_capped.yaml"


def test_refuses_a_folder_with_another_runs_files_before_running(reference, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="notes.txt|holds"):
        run_and_report(STRATEGY, out, data=reference, overwrite=False, start="2024-01-01", benchmarks=False)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"] and (out / "notes.txt").read_text() == "mine"


def test_writes_every_output_and_the_manifest_then_replaces_its_own_folder(reference, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _, paths = run_and_report(STRATEGY, out, data=reference, start="2024-01-01", benchmarks=False)
    manifest = json.loads((out / "run.json").read_text())
    assert paths["manifest"] == out / "run.json" and paths["report"].is_file() and paths["stats"].is_file()
    assert len(manifest["strategy_sha256"]) >= 12 and manifest["data_fingerprint"]
    _, again = run_and_report(STRATEGY, out, data=reference, start="2024-06-01", benchmarks=False)
    assert json.loads((out / "run.json").read_text())["settings"]["start"].startswith("2024-06")
    assert not [p for p in tmp_path.iterdir() if p.name != "out"]  # no temporary sibling left behind
