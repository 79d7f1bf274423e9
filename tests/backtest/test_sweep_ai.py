"""ai_index sweeps: label-addressed signal weights, features reused per worker, a 2-process LocalCluster."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from indexer.backtesting.sweep import load_sweep, run_sweep
from indexer.backtesting.sweep.runner import apply_overrides, expand_params, worker_cache, worker_cache_info
from indexer.exceptions import ConfigError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def ai_sweep(tmp_path) -> Path:
    """A sweep of the flagship with its walk-forward ridge blend (the path whose features a worker reuses)."""
    sys.path.insert(0, str(REPO / "tests"))
    from ml_flagship import ai_index_ml_doc

    strategy = tmp_path / "ai_index_ml.yaml"
    strategy.write_text(yaml.safe_dump(ai_index_ml_doc()))
    sweep = {
        "strategy": str(strategy),
        "metric": "sharpe",
        "start": "2021-01-01",
        "end": "2022-06-30",
        "params": {"optimiser.params.risk_aversion": [0.1, 0.4], "signals.signals.news_volume.weight": [0.0, 0.5],
                   "rebalance.every": ["monthly", "quarterly"]},
    }  # fmt: skip
    p = tmp_path / "ai_sweep.yaml"
    p.write_text(yaml.safe_dump(sweep))
    return p


def test_shipped_256_variant_sweep_is_valid() -> None:
    from indexer.strategy import Strategy

    spec, strat = load_sweep(REPO / "backtests" / "sweeps" / "ai_index_256.yaml")
    combos = expand_params(spec)
    assert len(combos) == 256
    base = yaml.safe_load(strat.read_text())
    doc = apply_overrides(base, combos[-1])
    s = Strategy.from_dict(doc)
    weights = {x.label: x.weight for x in s.spec.signals.signals}
    assert weights["mom_30d"] == 1.0 and weights["news_volume"] == 0.5 and weights["fee_revenue"] == 0.5
    assert weights["trend_tstat"] == 0.5
    assert s.spec.optimiser.constraints.max_weight == 0.4 and s.spec.rebalance.every == "quarterly"
    assert base["signals"]["signals"][0]["weight"] == 1.0  # the base document is not modified


def test_list_steps_name_items_by_label_or_index() -> None:
    doc = {"signals": {"signals": [{"name": "momentum", "label": "m30", "weight": 1.0}, {"name": "amihud"}]}}
    out = apply_overrides(doc, {"signals.signals.m30.weight": 0.5, "signals.signals.1.weight": 2.0})
    assert [x.get("weight") for x in out["signals"]["signals"]] == [0.5, 2.0]
    with pytest.raises(ConfigError, match=r"'nope' names 0 list items; expected one of \['m30', 'amihud'\]"):
        apply_overrides(doc, {"signals.signals.nope.weight": 1.0})
    with pytest.raises(ConfigError, match="index 5 is past the 2 items"):
        apply_overrides(doc, {"signals.signals.5.weight": 1.0})


def test_ai_sweep_reuses_features_and_local_cluster_gives_the_same_table(ai_sweep, reference) -> None:
    data = reference.between(None, "2022-06-30")
    worker_cache().clear()
    local = run_sweep(ai_sweep, data, progress=False)
    info = worker_cache_info()
    assert len(local.table) == 8
    assert info["feature_builds"] == 1  # eight trials, the signals of the data computed once
    info_remote: dict = {}
    remote = run_sweep(ai_sweep, data, scheduler="local:2", progress=False, worker_info=info_remote)
    assert len(info_remote) == 2  # two worker processes
    builds = [w["feature_builds"] for w in info_remote.values()]
    assert sum(builds) <= 2 and all(b <= 1 for b in builds)  # at most once per worker
    cols = ["trial", "sharpe", "final_value", "turnover_annual"]
    pd.testing.assert_frame_equal(local.table[cols], remote.table[cols], rtol=1e-7)
    best = remote.best
    assert best["rank"] == 1 and best["sharpe"] == remote.table["sharpe"].max()
    assert 0.0 <= best["deflated_sharpe"] <= 1.0 and np.isfinite(best["deflated_sharpe"])
