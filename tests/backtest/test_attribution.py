"""Attribution by ablation: the ladder of strategy specs, contributions that add up, the report section, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from indexer.backtesting.attribution import RUNGS, ablation_specs, attribution_table
from indexer.cli.main import app
from indexer.strategy import Strategy

REPO = Path(__file__).resolve().parents[2]

SMALL = {
    "name": "small_ai",
    "description": "A small AI index for the attribution test.",
    "universe": {"top_n": 6, "rank_by": "market_cap", "min_history_days": 90, "exclude_kinds": ["stablecoin"]},
    "signals": {"signals": [{"name": "momentum", "params": {"horizon": 30}, "weight": 2.0}, {"name": "amihud", "weight": 0.5}],
                "normalise": "zscore", "model": {"type": "ridge", "horizon": 30, "min_train": 50}},
    "optimiser": {"objective": "mean_variance", "params": {"risk_aversion": 0.1}, "constraints": {"max_weight": 0.4}},
    "estimation_window": 90,
    "rebalance": {"every": "monthly"},
    "overlays": [{"name": "regime_filter", "market": "cap_weighted", "ma_days": 100}],
}


def test_ladder_removes_one_element_per_rung() -> None:
    spec = Strategy.from_yaml(REPO / "strategies" / "ai_index.yaml").spec.model_dump(mode="json", exclude_none=True)
    rungs = ablation_specs(spec)
    assert list(rungs) == list(RUNGS)
    assert rungs["strategy"] is spec and spec["overlays"]  # the original is not modified
    off = rungs["overlay off"]
    assert off["overlays"] == [] and off["signals"] == spec["signals"] and off["optimiser"] == spec["optimiser"]
    eq = rungs["equal signal weights"]
    assert eq["signals"]["model"]["type"] == "fixed" and {s["weight"] for s in eq["signals"]["signals"]} == {1.0}
    ns = rungs["no signals (risk weighting)"]
    assert ns["signals"] is None and ns["optimiser"]["objective"] == "min_variance"
    assert ns["optimiser"]["risk_model"] == spec["optimiser"]["risk_model"]
    assert ns["optimiser"]["constraints"] == spec["optimiser"]["constraints"]
    cap = rungs["cap weights"]
    assert cap["optimiser"]["objective"] == "market_cap" and cap["optimiser"]["constraints"]["max_weight"] == 0.3
    assert cap["universe"] == spec["universe"] and cap["rebalance"] == spec["rebalance"]
    for name, d in rungs.items():  # every rung is a valid strategy
        assert Strategy.from_dict(d, source=name).name.startswith("ai_index")


def test_cli_attribution_contributions_add_up_and_reach_the_report(reference, tmp_path: Path) -> None:
    path = tmp_path / "small_ai.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["backtest", str(path), "--start", "2022-01-01", "--end", "2023-06-30", "--no-benchmarks",
                                   "--attribution", "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text()
    assert "Attribution by ablation" in html
    for rung in RUNGS:
        assert rung in html
    assert "benchmark (market-cap top 10)" in html and "regime overlay" in html and "optimiser risk weighting" in html


def test_attribution_table_by_hand(reference) -> None:
    from indexer.backtesting import backtest, benchmark_strategy

    kw = dict(start="2022-06-01", end="2022-12-31", benchmarks=False)
    rungs = ablation_specs(SMALL)
    runs = {n: backtest(Strategy.from_dict(d, source=n), reference, **kw) for n, d in list(rungs.items())[::2]}
    bench = backtest(benchmark_strategy("mcap_top10"), reference, **kw)
    t = attribution_table(runs, bench)
    years = (bench.equity.index[-1] - bench.equity.index[0]).days / 365
    logs = [np.log(r.equity.iloc[-1] / r.equity.iloc[0]) / years for r in [*runs.values(), bench]]
    assert t["ann_log_return"].tolist() == pytest.approx(logs, rel=1e-12)
    assert t["contribution"].iloc[:-1].tolist() == pytest.approx(np.diff(logs[::-1])[::-1].tolist(), rel=1e-9)
    assert t["contribution"].iloc[:-1].sum() == pytest.approx(logs[0] - logs[-1], rel=1e-9)
    assert t.loc["strategy", "cagr"] == pytest.approx(runs["strategy"].stats["cagr"])
