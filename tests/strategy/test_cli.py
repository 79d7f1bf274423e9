"""``indexer validate`` and ``indexer strategy show`` through the real CLI app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from indexer.cli.main import app

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_validate_ok_and_bad(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["validate", str(REPO / "strategies" / "top10_capped.yaml")])
    assert ok.exit_code == 0, ok.output
    assert "ok" in ok.output and "top10_capped" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nrebalance: {every: hourly}\n")
    res = runner.invoke(app, ["validate", str(bad)])
    assert res.exit_code == 2
    assert "rebalance.every" in res.output and "'monthly'" in res.output


def test_show_prints_resolved_defaults() -> None:
    res = runner.invoke(app, ["strategy", "show", str(REPO / "strategies" / "top10_capped.yaml")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["universe"]["top_n"] == 10
    assert doc["universe"]["exclude_kinds"] == ["stablecoin"]
    assert doc["optimiser"]["params"]["max_weight"] == 0.25


def test_target_prints_weights_on_reference_data(shared_data) -> None:
    res = runner.invoke(app, ["strategy", "target", str(REPO / "strategies" / "top10_capped.yaml"),
                              "--as-of", "2024-06-01", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["as_of"].startswith("2024-06-01")
    assert abs(sum(doc["weights"].values()) - 1.0) < 1e-9
    assert max(v for k, v in doc["weights"].items() if k != "CASH") <= 0.25 + 1e-9


def test_list_shows_every_shipped_strategy() -> None:
    res = runner.invoke(app, ["strategy", "list", str(REPO / "strategies")], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for p in (REPO / "strategies").glob("*.yaml"):
        assert p.stem in res.output


def test_validate_reports_every_bad_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("name: a\nuniverse: {top_n: 0}\n")
    b.write_text("name: b\noptimiser: {objective: magic}\n")
    res = runner.invoke(app, ["validate", str(a), str(REPO / "strategies" / "top10_capped.yaml"), str(b)])
    assert res.exit_code == 2
    assert "universe.top_n" in res.output and "optimiser.objective" in res.output
    assert "ok" in res.output and "top10_capped" in res.output
