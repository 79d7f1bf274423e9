"""Perf suites: timing-only tests run with ``--benchmark-enable`` (``make perf``) and are deselected otherwise.

Tables a suite builds from its timings (``perf_table`` fixture) are printed at the end of the run, after
pytest-benchmark's own table, so ``make perf`` (``-q``, output captured) shows them too.
"""

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


@pytest.fixture
def perf_table(request: pytest.FixtureRequest):
    """``add(title, text)``: print ``text`` under ``title`` in the run's terminal summary."""

    def add(title: str, text: str) -> None:
        request.config.__dict__.setdefault("_indexer_perf_tables", {})[title] = text

    return add


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    for title, text in config.__dict__.get("_indexer_perf_tables", {}).items():
        terminalreporter.write_sep("-", title)
        terminalreporter.write_line(text)
