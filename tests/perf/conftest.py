"""Perf suites: timing-only tests run with ``--benchmark-enable`` (``make perf``) and are deselected otherwise."""

from __future__ import annotations

import pytest

#: Tests that only report timings collected by the benchmark runs.
TIMING_ONLY = ("test_zz_ratio_table", "test_zz_research_table")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    enabled = config.getoption("benchmark_enable") or not config.getoption("benchmark_disable")
    if enabled:
        return
    keep, drop = [], []
    for item in items:
        (drop if item.originalname in TIMING_ONLY else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
