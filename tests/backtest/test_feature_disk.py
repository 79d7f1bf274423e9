"""A cold process reads the signal features an earlier one stored for the same data content and code."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from indexer import runcache
from indexer.backtesting import backtest, feature_disk
from indexer.disk_store import DISABLE_ENV
from indexer.runcache import RunCache
from indexer.strategy import Strategy

REPO = Path(__file__).resolve().parents[2]


def _store():
    (store,) = runcache.active().values("signals.features")
    return store


def test_second_process_reads_stored_features_with_the_same_decisions(reference, monkeypatch) -> None:
    strat = Strategy.from_yaml(REPO / "strategies" / "ai_index.yaml")
    data = reference.between(None, "2021-12-31")
    kw = dict(start="2021-01-01", benchmarks=False)
    runcache.clear()
    before = dict(feature_disk.COUNTS)
    first = backtest(strat, data, **kw)  # no run cache block of the caller's: the disk store is used
    assert _store().builds == 1 and feature_disk.COUNTS["saved"] == before["saved"] + 1

    runcache.clear()  # what a new process has in memory: nothing
    second = backtest(strat, data, **kw)
    assert feature_disk.COUNTS["loaded"] == before["loaded"] + 1
    assert (_store().builds, _store().extensions) == (0, 0)  # every decision read its signals
    pd.testing.assert_frame_equal(first.weights, second.weights, check_exact=True)
    pd.testing.assert_series_equal(first.equity, second.equity, check_exact=True)
    assert feature_disk.COUNTS["saved"] == before["saved"] + 1  # nothing new to store

    runcache.clear()
    longer = backtest(strat, reference.between(None, "2022-03-31"), **kw)  # other content: computed, stored
    assert _store().builds == 1 and feature_disk.COUNTS["saved"] == before["saved"] + 2
    assert feature_disk.COUNTS["loaded"] == before["loaded"] + 1
    pd.testing.assert_frame_equal(longer.weights.loc[: first.weights.index[-1]], first.weights, check_exact=True)

    runcache.clear()
    shocked = replace(data, close=data.close * 1.01)  # same shape and bars, other prices: not reused
    backtest(strat, shocked, **kw)
    assert _store().builds == 1 and feature_disk.COUNTS["loaded"] == before["loaded"] + 1

    runcache.clear()
    with RunCache():  # a caller's own block keeps the run to itself
        backtest(strat, data, **kw)
    assert feature_disk.COUNTS["loaded"] == before["loaded"] + 1

    monkeypatch.setenv(DISABLE_ENV, "1")
    runcache.clear()
    backtest(strat, data, **kw)
    assert _store().builds == 1 and feature_disk.COUNTS["loaded"] == before["loaded"] + 1  # switched off
    runcache.clear()
