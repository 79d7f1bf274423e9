"""Small helpers shared by the signal modules (parameter checks, input panels)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexer.exceptions import SignalError

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["positive_int", "nonneg_int", "choice", "nan_panel", "metric_panel", "require_volume", "tail", "rolling_std", "rolling_std_values", "shift_rows"]


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
    """Return an all-NaN float panel shaped like ``close``."""
    return pd.DataFrame(np.nan, index=close.index, columns=close.columns, dtype="float64")


def metric_panel(data: MarketData, name: str, ffill_limit: int) -> pd.DataFrame:
    """On-chain metric ``name`` carried forward at most ``ffill_limit`` bars (past values only).

    Assets (or whole data sets) without that metric give NaN.
    """
    panel = data.metrics.get(name)
    if panel is None:
        return nan_panel(data.close)
    return panel.astype("float64").ffill(limit=ffill_limit) if ffill_limit > 0 else panel.astype("float64")


def require_volume(data: MarketData, signal: str) -> pd.DataFrame:
    if data.volume is None:
        raise SignalError(f"signal {signal!r} needs data.volume (traded value in USD); the data has none")
    return data.volume.astype("float64").where(data.volume > 0)


def tail(data: MarketData, n: int) -> MarketData:
    """Return the last ``n`` bars of every panel (views, no copies); sentiment is kept whole (already point-in-time)."""
    if len(data.close) <= n:
        return data
    return data.bars(len(data.close) - n, len(data.close))


#: Up to this many output rows :func:`rolling_std` uses NumPy windows (a short, last-row computation).
_SMALL_ROWS = 32


def rolling_std(panel: pd.DataFrame, window: int) -> pd.DataFrame:
    """``panel.rolling(window, min_periods=window).std()`` (sample sd, NaN unless all ``window`` values exist).

    Short panels (a trailing window for the last row) are done in one NumPy
    call instead of pandas' column-by-column loop; the same values to ~1e-12.
    """
    return pd.DataFrame(rolling_std_values(panel.to_numpy(dtype="float64"), window), index=panel.index, columns=panel.columns)


def rolling_std_values(v: np.ndarray, window: int) -> np.ndarray:
    """:func:`rolling_std` on a 2-D array (rows = bars)."""
    n = len(v)
    if n < window or n - window + 1 > _SMALL_ROWS:
        return pd.DataFrame(v).rolling(window, min_periods=window).std().to_numpy(dtype="float64")
    win = np.lib.stride_tricks.sliding_window_view(v, window, axis=0)  # (rows, assets, window)
    sd = win.std(axis=-1, ddof=1) if window > 1 else np.full(win.shape[:2], np.nan)
    sd[win.max(axis=-1) == win.min(axis=-1)] = 0.0  # constant window: exactly 0, as pandas
    out = np.full(v.shape, np.nan)
    out[window - 1:] = sd
    return out


def shift_rows(v: np.ndarray, k: int) -> np.ndarray:
    """``DataFrame.shift(k)`` on a 2-D float array: row t holds row t-k (NaN for the first k rows)."""
    out = np.full(v.shape, np.nan)
    if k < len(v):
        out[k:] = v[: len(v) - k]
    return out
