"""Fixtures for execution tests: the loopback simulator started in-process on a free port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from indexer.sim import SimServer

from .helpers import PRICES


@pytest.fixture
def make_sim() -> Iterator[Callable[..., SimServer]]:
    """Start simulators on free loopback ports; all stopped at teardown."""
    started: list[SimServer] = []

    def make(balances: dict[str, Any] | None = None, prices: dict[str, float] | None = None, **kw: Any) -> SimServer:
        kw.setdefault("btc_only", ["XYZ"])
        sim = SimServer(prices or PRICES, balances or {"USDT": 10_000}, **kw)
        started.append(sim.start())
        return sim

    yield make
    for s in started:
        s.stop()


@pytest.fixture
def sim(make_sim: Callable[..., SimServer]) -> SimServer:
    """A simulator with 10,000 USDT."""
    return make_sim()
