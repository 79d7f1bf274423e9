"""``indexer research survivorship``: point-in-time vs survivors-only membership on the real snapshots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from indexer.cli.main import app
from indexer.research import survivors_only, survivorship

REPO = Path(__file__).resolve().parents[2]
SNAP = REPO / "strategies" / "top10_pit_snapshot.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def report(reference):
    return survivorship(SNAP, reference, start="2021-06-01", end="2022-12-31")


def test_survivors_are_todays_constituents(reference) -> None:
    data, keep = survivors_only(reference, "cmc_monthly_top200", max_rank=10)
    last = reference.membership["cmc_monthly_top200"].query("snapshot == snapshot.max() and rank <= 10")
    assert keep == sorted(last["asset"]) and "BTC" in keep and "LUNC" not in keep
    table = data.membership["cmc_monthly_top200"]
    assert set(table["asset"]) == set(keep) and "LUNC" in set(reference.membership["cmc_monthly_top200"]["asset"])


def test_yearly_comparison_numbers(report) -> None:
    t = report.table
    assert list(t.index) == [2021, 2022]
    np.testing.assert_allclose(t["difference"], t["pit_return"] - t["survivors_return"])
    # Terra Classic was a PIT member in 2022 (priced from snapshots), never a survivor: PIT lost more in 2022
    assert t.loc[2022, "snap_difference"] < -0.01 and t.loc[2022, "difference"] < 0
    assert t.loc[2022, "snap_pit_return"] < -0.5 and np.isfinite(t.loc[2021, "snap_survivors_return"])
    md = report.to_markdown()
    assert "| 2022 |" in md and "per year (CAGR)" in md and "top10_pit_snapshot" in md


def test_cli_refusals_are_one_line_exit_2(tmp_path: Path) -> None:
    res = runner.invoke(app, ["research", "survivorship", str(REPO / "strategies" / "equal_weight_top10.yaml"), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "needs universe.membership" in res.output and len(res.output.strip().splitlines()) == 1
    (tmp_path / "README.md").write_text("# no markers\n")
    res = runner.invoke(app, ["research", "survivorship", str(SNAP), "--start", "2022-10-01", "--end", "2022-12-31",
                              "--out", str(tmp_path), "--readme", str(tmp_path / "README.md")])
    assert res.exit_code == 2 and "survivorship markers not found" in res.output
    assert (tmp_path / "README.md").read_text() == "# no markers\n"


def test_cli_writes_outputs_and_readme_section(tmp_path: Path) -> None:
    from indexer.cli.research import README_END, README_START

    readme = tmp_path / "README.md"
    readme.write_text(f"# T\n{README_START}\nold\n{README_END}\nafter\n")
    res = runner.invoke(app, ["research", "survivorship", str(SNAP), "--start", "2022-03-01", "--end", "2022-12-31",
                              "--out", str(tmp_path / "out"), "--readme", str(readme)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    csv = pd.read_csv(tmp_path / "out" / "top10_pit_snapshot_survivorship.csv", index_col="year")
    assert list(csv.index) == [2022] and (tmp_path / "out" / "top10_pit_snapshot_survivorship.png").stat().st_size > 5_000
    text = readme.read_text()
    assert "old" not in text and "| 2022 |" in text and text.endswith(f"{README_END}\nafter\n")
