"""``RunCache``: bounded buckets, scoping, shared buckets handed to the parent, optimiser caches inside it."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

from indexer import runcache
from indexer.runcache import RunCache


def test_buckets_are_bounded_lru_and_counted() -> None:
    c = RunCache(sizes={"b": 2})
    c.put("b", 1, "one")
    c.put("b", 2, "two")
    assert c.get("b", 1) == "one"  # 1 is now the most recent
    c.put("b", 3, "three")  # evicts 2
    assert c.get("b", 2) is None and c.get("b", 1) == "one" and c.get("b", 3) == "three"
    assert c.info()["b"] == {"entries": 2, "hits": 3, "misses": 1}
    assert c.get_or_make("b", 4, lambda: "four") == "four" and c.get("b", 4) == "four"
    off = RunCache(sizes={"b": 0})
    off.put("b", 1, "x")
    assert off.get("b", 1) is None and off.size("b") == 0


def test_scope_nesting_and_default() -> None:
    assert runcache.scoped() is None and runcache.active() is runcache._DEFAULT
    with RunCache() as outer:
        assert runcache.active() is outer and runcache.run_scope() is outer  # a run shares the caller's cache
        with RunCache() as inner:
            assert runcache.active() is inner
        assert runcache.active() is outer
    fresh = runcache.run_scope()
    assert fresh is not runcache._DEFAULT and fresh.parent is runcache._DEFAULT
    seen = []
    with RunCache():
        t = threading.Thread(target=lambda: seen.append(runcache.scoped()))
        t.start()
        t.join()
    assert seen == [None]  # a scope does not leak into other threads


def test_shared_buckets_live_in_the_parent() -> None:
    parent = RunCache()
    run = RunCache(parent=parent)
    run.put("optimiser.problems", "k", "compiled")
    run.put("optimiser.warm", "k", "warm start")
    assert parent.get("optimiser.problems", "k") == "compiled"  # survives the run
    assert parent.get("optimiser.warm", "k") is None  # run-only
    assert RunCache(parent=parent).get("optimiser.problems", "k") == "compiled"


def test_optimiser_caches_live_in_the_active_run_cache() -> None:
    from indexer.optimiser import OptimiserSpec, WeighContext, cache_info, solve

    rng = np.random.default_rng(0)
    assets = ("A", "B", "C", "D")
    r = pd.DataFrame(rng.normal(0.001, 0.02, (120, 4)), columns=list(assets))
    spec = OptimiserSpec(objective="mean_variance", params={"risk_aversion": 1.0}, constraints={"max_weight": 0.5})
    ctx = WeighContext(assets=assets, returns=r, scores=pd.Series([0.1, 0.0, -0.1, 0.05], index=list(assets)))
    with RunCache() as c:
        w1 = solve(spec, ctx).weights
        warm = c.values("optimiser.warm")
        assert len(warm) == 1  # one warm start, keyed by the asset set
        ctx2 = WeighContext(assets=("D", "C", "B", "A"), returns=r[["D", "C", "B", "A"]],
                            scores=ctx.scores[["D", "C", "B", "A"]])  # fmt: skip
        w2 = solve(spec, ctx2).weights
        assert len(c.values("optimiser.warm")) == 2  # same shape, other asset order: not the same warm start
        pd.testing.assert_series_equal(w1.sort_index(), w2.sort_index(), atol=1e-8)
        assert cache_info()["problems"] == len(c.values("optimiser.problems"))
    assert c.values("optimiser.warm") and runcache.scoped() is None
