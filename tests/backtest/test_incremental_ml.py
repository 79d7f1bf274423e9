"""ai_index with its ML blend, decided with the run's feature store, equals the whole-history recomputation at every decision."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from indexer.backtesting import backtest
from indexer.runcache import RunCache
from indexer.strategy import Strategy

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from ml_flagship import ai_index_ml  # noqa: E402


def test_ai_index_weights_equal_full_recomputation_at_every_decision(reference) -> None:
    strat = ai_index_ml()
    data = reference.between(None, "2023-03-31")
    kw = dict(start="2021-06-01", benchmarks=False)
    with RunCache() as inc:
        fast = backtest(strat, data, **kw)
    with RunCache(sizes={"signals.features": 0}) as ref:  # no store: every decision recomputes the history
        full = backtest(strat, data, **kw)
    store = inc.values("signals.features")[0]
    assert store.builds == 1 and store.extensions == len(fast.targets) - 1
    assert ref.values("signals.features") == []
    statuses = [tp.diagnostics["signals"]["model_status"] for tp in fast.targets]
    assert sum("fitted" in s for s in statuses) >= 15  # the ridge model decided, not the fixed fallback
    assert statuses == [tp.diagnostics["signals"]["model_status"] for tp in full.targets]
    assert len(fast.targets) == len(full.targets) >= 20
    _assert_same_decisions(fast, full)


def test_benchmarks_are_reused_by_fingerprint_of_data_and_costs(reference) -> None:
    from dataclasses import replace

    strat = Strategy.from_yaml(REPO / "strategies" / "top10_capped.yaml")
    data = reference.between("2023-01-01", "2024-06-30")
    with RunCache() as cache:
        first = backtest(strat, data)
        assert cache.info()["backtest.benchmarks"] == {"entries": 4, "hits": 0, "misses": 4}
        again = backtest(strat, data)
        assert cache.info()["backtest.benchmarks"]["hits"] == 4
        pd.testing.assert_frame_equal(first.stats_table(), again.stats_table())
        other_costs = backtest(strat, data, fees=0.002)  # a cost setting changes the benchmarks: run again
        assert cache.info()["backtest.benchmarks"]["entries"] == 8
        shocked = replace(data, close=data.close * 1.01)  # other data, same shape: run again
        backtest(strat, shocked)
        assert cache.info()["backtest.benchmarks"]["entries"] == 12
    assert other_costs.benchmarks["btc"].stats["fees_paid"] > first.benchmarks["btc"].stats["fees_paid"]
    fresh = backtest(strat, data)  # outside the block: a new run cache, same numbers
    pd.testing.assert_frame_equal(fresh.stats_table(), first.stats_table())


def test_benchmarks_are_reused_across_processes_from_disk(reference, monkeypatch) -> None:
    from indexer.backtesting import bench_store

    strat = Strategy.from_yaml(REPO / "strategies" / "top10_capped.yaml")
    data = reference.between("2022-01-01", "2022-12-31")
    before = dict(bench_store.COUNTS)
    with RunCache():  # a fresh cache: nothing in memory
        first = backtest(strat, data, fees=0.0015)
    assert bench_store.COUNTS["saved"] == before["saved"] + 4
    assert len(list(bench_store.store_dir().glob("*.pkl"))) >= 4
    with RunCache():  # another fresh cache, as a new process would have: read from disk
        again = backtest(strat, data, fees=0.0015)
    assert bench_store.COUNTS["loaded"] == before["loaded"] + 4
    pd.testing.assert_frame_equal(first.stats_table(), again.stats_table())
    pd.testing.assert_series_equal(first.benchmarks["ew_top10"].equity, again.benchmarks["ew_top10"].equity)
    monkeypatch.setenv(bench_store.DISABLE_ENV, "1")
    with RunCache():
        backtest(strat, data, fees=0.0015)
    assert bench_store.COUNTS["loaded"] == before["loaded"] + 4  # switched off: recomputed


def test_next_backtest_reads_the_store_and_in_place_changes_rebuild_it(reference) -> None:
    from dataclasses import replace

    from indexer import runcache

    strat = ai_index_ml()
    d = reference.between(None, "2021-09-30")
    d = replace(d, close=d.close.copy(), volume=d.volume.copy(), market_cap=d.market_cap.copy(),
                metrics={k: v.copy() for k, v in d.metrics.items()})  # fmt: skip  (mutated below)
    kw = dict(start="2021-01-01", benchmarks=False)
    runcache.clear()
    first = backtest(strat, d, **kw)  # no block: the run's cache hands its stores to the session's
    (store,) = runcache.active().values("signals.features")
    seen = (store.builds, store.extensions)
    second = backtest(strat, d, **kw)
    assert runcache.active().values("signals.features") == [store] and (store.builds, store.extensions) == seen
    pd.testing.assert_frame_equal(first.weights, second.weights)
    d.close.iloc[-200:, :] *= 1.3  # changed in place: the sums no longer match, the store is rebuilt
    third = backtest(strat, d, **kw)
    (rebuilt,) = runcache.active().values("signals.features")
    assert rebuilt is not store
    with RunCache(sizes={"signals.features": 0}):
        ref = backtest(strat, d, **kw)
    pd.testing.assert_frame_equal(third.weights, ref.weights, rtol=1e-7, atol=1e-9)
    runcache.clear()


def test_fixed_blend_flagship_with_the_store_equals_the_last_row_path_at_every_decision(reference) -> None:
    """The shipped (fixed-blend) ai_index: the run's feature store gives the trailing-window (last-row) weights."""
    strat = Strategy.from_yaml(REPO / "strategies" / "ai_index.yaml")
    assert strat.spec.signals.model.type == "fixed"
    data = reference.between(None, "2023-03-31")
    kw = dict(start="2020-06-01", benchmarks=False)
    with RunCache() as inc:
        fast = backtest(strat, data, **kw)
    with RunCache(sizes={"signals.features": 0}) as ref:  # no store: each decision computes its trailing windows
        slow = backtest(strat, data, **kw)
    store = inc.values("signals.features")[0]
    assert store.builds == 1 and store.extensions == len(fast.targets) - 1
    assert ref.values("signals.features") == []
    assert len(fast.targets) == len(slow.targets) >= 30
    _assert_same_decisions(fast, slow)


def _assert_same_decisions(fast, slow) -> None:
    """Same dates, weights (1e-9), scores (1e-12) at every decision and the same equity curve."""
    for a, b in zip(fast.targets, slow.targets, strict=True):
        assert a.as_of == b.as_of
        pd.testing.assert_series_equal(a.weights, b.weights, rtol=1e-7, atol=1e-9)
        sa, sb = a.diagnostics["scores"], b.diagnostics["scores"]
        np.testing.assert_allclose(list(sa.values()), list(sb.values()), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(fast.equity.to_numpy(), slow.equity.to_numpy(), rtol=1e-9)
