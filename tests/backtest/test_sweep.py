"""Sweeps: cost columns broadcast in vectorbt equal separate backtests; Dask gives the local table; DSR."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from indexer.backtesting import backtest
from indexer.backtesting.sweep import deflated_sharpe, expected_max_sharpe, load_sweep, run_sweep, run_trial
from indexer.exceptions import ConfigError

STRATEGY = {
    "name": "ew_small",
    "universe": {"top_n": 3, "min_history_days": 30, "exclude_kinds": ["stablecoin"]},
    "optimiser": {"objective": "equal_weight"},
    "rebalance": {"every": "monthly"},
}


@pytest.fixture
def sweep_file(tmp_path):
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(STRATEGY))
    sweep = {
        "strategy": "s.yaml",
        "metric": "sharpe",
        "start": "2023-01-01",
        "end": "2023-09-30",
        "params": {"universe.top_n": [2, 4], "rebalance.every": ["monthly", "quarterly"]},
        "costs": {"fees": [0.0, 0.002], "slippage": [0.0005]},
    }
    p = tmp_path / "sweep.yaml"
    p.write_text(yaml.safe_dump(sweep))
    return p


@pytest.fixture
def data(reference):
    return reference.between("2022-06-01", "2023-09-30")


def test_cost_columns_equal_separate_backtests(sweep_file, data):
    from indexer.strategy import Strategy

    spec, strat_path = load_sweep(sweep_file)
    rows = run_trial(0, {"universe.top_n": 4}, data, dict(STRATEGY), spec, str(strat_path))
    assert len(rows) == 2
    for row in rows:
        s = Strategy.from_dict({**STRATEGY, "universe": {**STRATEGY["universe"], "top_n": 4}})
        single = backtest(s, data, start="2023-01-01", end="2023-09-30", fees=row["fees"], slippage=0.0005,
                          benchmarks=False)  # fmt: skip
        assert row["final_value"] == pytest.approx(single.stats["final_value"], rel=1e-9)
        assert row["fees_paid"] == pytest.approx(single.stats["fees_paid"], rel=1e-9)
        assert row["sharpe"] == pytest.approx(single.stats["sharpe"], rel=1e-9)


def test_dask_local_cluster_gives_the_local_table(sweep_file, data):
    from dask.distributed import LocalCluster

    local = run_sweep(sweep_file, data, progress=False)
    assert len(local.table) == 8  # 2 x 2 parameter sets x 2 fee levels
    assert list(local.table.index) == list(range(1, 9))
    assert local.table["sharpe"].is_monotonic_decreasing
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:  # fmt: skip
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        remote = run_sweep(sweep_file, data, scheduler=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(local.table, remote.table)
    # higher fees never help
    t = local.table.set_index(["trial", "fees"])["final_value"].unstack()
    assert (t[0.002] < t[0.0]).all()


def test_deflated_sharpe():
    rng = np.random.default_rng(0)
    # E[max of N standard normals] from simulation vs the closed-form approximation
    for n in (10, 100):
        mc = rng.standard_normal((20_000, n)).max(axis=1).mean()
        assert expected_max_sharpe(n, 1.0) == pytest.approx(mc, rel=0.03)
    assert expected_max_sharpe(1, 1.0) == 0.0
    # one trial: the probabilistic Sharpe ratio against 0, computed by hand
    from math import erf, sqrt

    sr, n = 0.1, 101
    z = sr * sqrt(n - 1) / sqrt(1 + (3 - 1) / 4 * sr**2)
    dsr, sr0 = deflated_sharpe(np.array([sr]), np.array([n]), np.array([0.0]), np.array([3.0]))
    assert sr0 == 0.0 and dsr[0] == pytest.approx(0.5 * (1 + erf(z / sqrt(2))), rel=1e-12)
    # more trials with the same best Sharpe: lower deflated Sharpe
    srs = np.array([0.05, 0.04, 0.03, 0.02])
    few, _ = deflated_sharpe(srs[:2], np.full(2, 1000), np.zeros(2), np.full(2, 3.0))
    many, _ = deflated_sharpe(srs, np.full(4, 1000), np.zeros(4), np.full(4, 3.0))
    assert many[0] < few[0]


def test_bad_sweep_files_are_named(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump({"strategy": "nope.yaml", "params": {}}))
    with pytest.raises(ConfigError, match="nope.yaml"):
        load_sweep(p)
    p.write_text(yaml.safe_dump({"strategy": "x.yaml", "metric": "luck"}))
    with pytest.raises(ConfigError, match="metric"):
        load_sweep(p)
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(STRATEGY))
    p.write_text(yaml.safe_dump({"strategy": "x.yaml", "params": {"universe.top_n": {"low": 1, "high": 5}}}))
    with pytest.raises(ConfigError, match="grid mode"):
        load_sweep(p)


def test_unreadable_sweep_files_are_named(tmp_path):
    p = tmp_path / "sweep.yaml"
    with pytest.raises(ConfigError, match=r"sweep file.*sweep\.yaml.*cannot read"):
        load_sweep(p)
    p.write_text("strategy: [unclosed\n")
    with pytest.raises(ConfigError, match=r"sweep\.yaml: invalid YAML"):
        load_sweep(p)
    p.write_text("- a list\n- not a mapping\n")
    with pytest.raises(ConfigError, match=r"sweep\.yaml: expected a mapping of settings, got list"):
        load_sweep(p)


def test_unreachable_scheduler_is_a_clear_error(sweep_file, data):
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConfigError, match=f"tcp://127.0.0.1:{port}"):
        run_sweep(sweep_file, data, scheduler=f"tcp://127.0.0.1:{port}", progress=False, connect_timeout=2)


def test_cli_sweep_writes_ranked_tables(sweep_file, reference, tmp_path):
    from typer.testing import CliRunner

    from indexer.cli.main import app

    out = tmp_path / "res"
    res = CliRunner().invoke(app, ["sweep", str(sweep_file), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "ranked by sharpe" in res.output and "DSR" in res.output
    table = pd.read_parquet(out / "results.parquet")
    assert len(table) == 8 and table["sharpe"].is_monotonic_decreasing
    assert (out / "results.csv").is_file()
