"""What a backtest refuses before it starts: inputs that would give a silently wrong result.

* ``init_cash`` must be a finite number of USD in (0, :data:`MAX_INIT_CASH`]: above it the
  simulation overflows float precision (a ``null`` CAGR, a -100 % drawdown).
* ``start`` / ``end`` must lie inside the data; the message names both ranges.
* ``benchmark`` must be a known benchmark; the message lists them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from indexer.exceptions import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["MAX_INIT_CASH", "check_backtest_inputs", "cash_decisions"]

#: Largest starting capital accepted (USD): 1e12 (about the crypto market's total value).
MAX_INIT_CASH = 1e12


def check_backtest_inputs(
    data: MarketData,
    *,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    init_cash: Any,
    benchmark: str | None,
    known_benchmarks: Iterable[str],
) -> None:
    """Raise :class:`ConfigError` naming the option and the allowed values when an input is unusable."""
    if isinstance(init_cash, bool) or not isinstance(init_cash, (int, float)) or not math.isfinite(init_cash):
        raise ConfigError(f"init_cash {init_cash!r}: expected a finite number of USD")
    if not 0 < init_cash <= MAX_INIT_CASH:
        raise ConfigError(f"init_cash {init_cash:g} USD: expected > 0 and <= {MAX_INIT_CASH:g} USD")
    known = list(known_benchmarks)
    if benchmark is not None and benchmark not in known:
        raise ConfigError(f"benchmark {benchmark!r} is unknown; known benchmarks: {', '.join(known)}")
    if len(data.index) == 0:
        raise ConfigError("the data has no bars")
    lo, hi = data.index[0], data.index[-1]
    rng = f"the data covers {lo.date()} .. {hi.date()} (UTC)"
    if start is not None and not lo <= start <= hi:
        raise ConfigError(f"start {start.date()} is outside the data: {rng}; pick a start in that range")
    if end is not None and not lo <= end <= hi:
        raise ConfigError(f"end {end.date()} is outside the data: {rng}; pick an end in that range")
    if start is not None and end is not None and end <= start:
        raise ConfigError(f"end {end.date()} is not after start {start.date()}")


def cash_decisions(decisions: pd.DataFrame) -> list[str]:
    """UTC dates (``YYYY-MM-DD``) of the decisions whose universe was empty and so held 100% CASH (``empty_universe: cash``).

    A decision that is all cash for another reason (a regime overlay, the optimiser) is not listed.
    """
    if decisions is None or len(decisions) == 0 or "empty_universe" not in decisions:
        return []
    empty = decisions[decisions["empty_universe"].astype(bool)]
    return [pd.Timestamp(t).strftime("%Y-%m-%d") for t in empty["as_of"]]
