"""Calendar rebalance schedules: which bars of an index are decision dates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexer.exceptions import ConfigError

__all__ = ["schedule_dates"]


def _first_of_period(index: pd.DatetimeIndex, key: np.ndarray) -> pd.DatetimeIndex:
    if len(index) == 0:
        return index
    new = np.r_[True, key[1:] != key[:-1]]
    return index[new]


def schedule_dates(index: pd.DatetimeIndex, every: str, weekday: int = 0) -> pd.DatetimeIndex:
    """Decision bars of ``index`` (UTC) for a calendar schedule.

    ``daily``: every bar; ``weekly``: bars on ``weekday`` (0 = Monday);
    ``monthly`` / ``quarterly``: the first bar of each calendar month / quarter
    present in ``index`` (so a series starting mid-month decides on its first bar).
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise ConfigError(f"rebalance_dates needs a DatetimeIndex, got {type(index).__name__}")
    if every == "daily":
        return index
    if every == "weekly":
        return index[index.day_of_week == weekday]
    year, month = index.year.to_numpy(), index.month.to_numpy()
    if every == "monthly":
        return _first_of_period(index, year * 12 + month)
    if every == "quarterly":
        return _first_of_period(index, year * 4 + (month - 1) // 3)
    raise ConfigError(f"rebalance.every {every!r} not one of daily, weekly, monthly, quarterly")
