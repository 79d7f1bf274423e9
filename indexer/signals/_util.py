"""Small helpers shared by the signal modules (parameter checks, input panels)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexer.exceptions import SignalError

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["positive_int", "nonneg_int", "choice", "nan_panel", "metric_panel", "require_volume", "tail"]


def positive_int(name: str, value: object, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum`` or ``ValueError`` naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def nonneg_int(name: str, value: object) -> int:
    return positive_int(name, value, minimum=0)


def choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}; got {value!r}")
    return str(value)


def nan_panel(close: pd.DataFrame) -> pd.DataFrame:
    """An all-NaN float panel shaped like ``close``."""
    return pd.DataFrame(np.nan, index=close.index, columns=close.columns, dtype="float64")


def metric_panel(data: "MarketData", name: str, ffill_limit: int) -> pd.DataFrame:
    """On-chain metric ``name`` carried forward at most ``ffill_limit`` bars (past values only).

    Assets (or whole data sets) without that metric give NaN.
    """
    panel = data.metrics.get(name)
    if panel is None:
        return nan_panel(data.close)
    return panel.astype("float64").ffill(limit=ffill_limit) if ffill_limit > 0 else panel.astype("float64")


def require_volume(data: "MarketData", signal: str) -> pd.DataFrame:
    if data.volume is None:
        raise SignalError(f"signal {signal!r} needs data.volume (traded value in USD); the data has none")
    return data.volume.astype("float64").where(data.volume > 0)


def tail(data: "MarketData", n: int) -> "MarketData":
    """The last ``n`` bars of every panel (views, no copies); sentiment is kept whole (already point-in-time)."""
    if len(data.close) <= n:
        return data
    cut = lambda p: None if p is None else p.iloc[-n:]  # noqa: E731
    return replace(
        data,
        close=data.close.iloc[-n:],
        volume=cut(data.volume),
        market_cap=cut(data.market_cap),
        metrics={k: v.iloc[-n:] for k, v in data.metrics.items()},
    )
