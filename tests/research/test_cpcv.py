"""CPCV splits, PBO (CSCV) and the deflated Sharpe ratio: by hand and on synthetic truth; CPCV on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from indexer.cli.main import app
from indexer.exceptions import ConfigError
from indexer.research.cpcv import BlendCandidate, cpcv_evaluate, cpcv_splits, top_third_returns
from indexer.research.deflated_sharpe import deflated_sharpe, expected_max_sharpe, probabilistic_sharpe, sharpe
from indexer.research.pbo import pbo_cscv
from indexer.signals import ScoringSpec


def test_deflated_sharpe_paper_example_by_hand() -> None:
    # Bailey & Lopez de Prado (2014): SR 2.5 a year, 1250 days, skew -3, kurtosis 10, V[SR] 0.5 a year, N = 100
    sr, v = 2.5 / np.sqrt(250), 0.5 / 250
    g = 0.5772156649015329
    sr0 = np.sqrt(v) * ((1 - g) * stats.norm.ppf(1 - 1 / 100) + g * stats.norm.ppf(1 - 1 / (100 * np.e)))
    assert expected_max_sharpe(100, v) == pytest.approx(sr0, rel=1e-12)
    z = (sr - sr0) * np.sqrt(1249) / np.sqrt(1 + 3 * sr + 9 / 4 * sr**2)
    assert probabilistic_sharpe(sr, sr0, 1250, -3.0, 10.0) == pytest.approx(stats.norm.cdf(z), rel=1e-12)
    assert stats.norm.cdf(z) == pytest.approx(0.9004, abs=0.001)  # the DSR the paper reports


def test_deflated_sharpe_penalises_many_trials() -> None:
    rng = np.random.default_rng(1)
    r = rng.normal(0.001, 0.01, 1000)
    few = deflated_sharpe(r, [sharpe(r), 0.0])
    many = deflated_sharpe(r, [sharpe(r)] + list(rng.normal(0, 0.03, 99)))
    assert few["sr"] == pytest.approx(r.mean() / r.std(ddof=1))
    assert many["sr0"] > few["sr0"] and many["dsr"] < few["dsr"] and many["n_trials"] == 100


def test_pbo_is_half_for_noise_and_zero_for_a_true_edge() -> None:
    rng = np.random.default_rng(7)
    noise = pd.DataFrame(rng.normal(0, 0.01, (1600, 10)))
    p = pbo_cscv(noise, n_blocks=10)
    assert p["n_combinations"] == 252 and 0.25 < p["pbo"] < 0.75
    edge = noise.copy()
    edge[0] += 0.004  # Sharpe ~0.4 a day: the IS winner, and OOS too
    assert pbo_cscv(edge, n_blocks=10)["pbo"] == 0.0
    with pytest.raises(ConfigError, match="even number"):
        pbo_cscv(noise, n_blocks=5)
    with pytest.raises(ConfigError, match="at least 2 configurations"):
        pbo_cscv(noise[[0]])


def test_cpcv_splits_purge_and_embargo() -> None:
    splits, paths = cpcv_splits(400, n_folds=8, n_test_folds=2, purge=30, embargo=10)
    assert len(splits) == 28 and paths.shape == (28, 2) and paths.max() + 1 == 7
    for train, tests in splits:
        tr = set(train)
        for t in tests:
            lo, hi = t.min(), t.max()
            assert tr.isdisjoint(range(lo, hi + 1))
            assert tr.isdisjoint(range(max(0, lo - 30), lo))  # purged: training targets overlapping the test fold
            assert tr.isdisjoint(range(hi + 1, min(400, hi + 1 + 30)))  # purge + embargo after it


def test_top_third_active_return_by_hand() -> None:
    idx = pd.date_range("2021-01-01", periods=3, tz="UTC")
    close = pd.DataFrame({"A": [1, 1.1, 1.1], "B": [1, 1.0, 1.0], "C": [1, 0.9, 0.9]}, index=idx)
    score = pd.DataFrame({"A": [3, 3, 3], "B": [2, 2, 2], "C": [1, 1, 1]}, index=idx, dtype=float)
    r = top_third_returns(score, close)
    assert r.iloc[0] == pytest.approx(0.1 - 0.0) and np.isnan(r.iloc[2])


def test_cpcv_on_real_data(reference) -> None:
    stables = set(reference.assets.stablecoins())
    d = reference.between("2020-06-01", "2022-12-31")
    d = d.select([a for a in d.symbols if a not in stables])
    spec = ScoringSpec(signals=[{"name": "amihud"}, {"name": "momentum", "params": {"horizon": 30}}],
                       normalise="zscore", model={"type": "ridge", "horizon": 30})
    cfg = [BlendCandidate("fixed", "fixed"), BlendCandidate("ridge", "ridge", {"alpha": 1.0})]
    res = cpcv_evaluate(d, spec, cfg, n_folds=6, n_test_folds=2, embargo=5)
    assert res.n_splits == 15 and res.n_paths == 5 and res.path_sharpe.shape == (5, 2)
    assert res.path_sharpe["fixed"].nunique() == 1  # not fitted: every path is the same series
    assert res.path_sharpe["ridge"].notna().all() and res.split_ic.shape == (15, 2)
    assert 0.0 <= res.pbo["pbo"] <= 1.0 and res.chosen in ("fixed", "ridge") and 0.0 <= res.dsr["dsr"] <= 1.0
    s = res.summary()
    assert list(s.index) == ["fixed", "ridge"] and (s["sharpe_p05"] <= s["sharpe_p95"]).all()


def test_cli_cpcv_refuses_bad_folds(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["signals", "cpcv", "--folds", "4", "--test-folds", "4"])
    assert res.exit_code == 2 and "--test-folds (4) must be smaller than --folds (4)" in res.output


def test_cpcv_cross_sections_hold_point_in_time_candidates_only(reference) -> None:
    """With a candidate mask, a non-member's prices and signals change nothing; the benchmark is the members' mean."""
    stables = set(reference.assets.stablecoins())
    d = reference.between("2021-01-01", "2022-06-30")
    d = d.select([a for a in d.symbols if a not in stables])
    spec = ScoringSpec(signals=[{"name": "amihud"}, {"name": "momentum", "params": {"horizon": 30}}],
                       normalise="zscore", model={"type": "ridge", "horizon": 30})
    cfg = [BlendCandidate("fixed", "fixed"), BlendCandidate("ridge", "ridge", {"alpha": 1.0})]
    outsider = "BTC"
    cand = pd.DataFrame(True, index=d.close.index, columns=d.symbols)
    cand[outsider] = False
    res = cpcv_evaluate(d, spec, cfg, n_folds=4, n_test_folds=2, embargo=5, candidates=cand, membership="test rule")
    assert res.membership == "test rule" and res.n_assets == len(d.symbols) - 1
    # the same run on the data without the outsider gives the same numbers
    rest = cpcv_evaluate(d.select([a for a in d.symbols if a != outsider]), spec, cfg, n_folds=4, n_test_folds=2, embargo=5)
    pd.testing.assert_frame_equal(res.path_sharpe, rest.path_sharpe, atol=1e-10)
    pd.testing.assert_frame_equal(res.path_ic, rest.path_ic, atol=1e-10)
    assert res.benchmark_sharpe == pytest.approx(rest.benchmark_sharpe, rel=1e-10)
    # without the mask the outsider counts and the numbers differ
    full = cpcv_evaluate(d, spec, cfg, n_folds=4, n_test_folds=2, embargo=5)
    assert not np.allclose(full.path_ic.to_numpy(), res.path_ic.to_numpy())
