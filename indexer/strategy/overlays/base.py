"""Shared pieces of the overlays: their context, result, and exposure helpers.

An overlay takes the weights decided so far (incl. CASH) and returns new
weights plus a JSON-friendly ``info`` dict.  Overlays only ever de-risk: they
scale the risky part by a factor in ``[0, 1]`` and move the rest to CASH, so
they compose in any order and "back on recovery" means the factor returns to 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer._typing import CASH, as_float_series
from indexer.config import DAYS_PER_YEAR

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = [
    "OverlayContext",
    "OverlayResult",
    "scale_exposure",
    "basket_returns",
    "hysteresis",
    "annual_vol",
]


@dataclass(frozen=True)
class OverlayContext:
    """What an overlay may look at.

    Point-in-time ``data`` (rows up to ``as_of``), the weights before any overlay
    (``base_weights``, incl. CASH), the ``previous`` holdings and ``replay(window)``: the value
    path of the strategy's own pre-overlay decisions over the last ``window`` bars (None when
    the caller cannot replay).
    """

    data: MarketData
    as_of: pd.Timestamp
    base_weights: pd.Series
    previous: pd.Series | None = None
    replay: Callable[[int], pd.Series] | None = None


@dataclass(frozen=True)
class OverlayResult:
    """New weights (incl. CASH, sum 1) and ``info`` for the diagnostics (``exposure`` factor, reasons)."""

    weights: pd.Series
    info: dict[str, Any] = field(default_factory=dict)


def scale_exposure(weights: pd.Series, factor: float) -> pd.Series:
    """Multiply every non-cash weight by ``factor`` (clipped to [0, 1]); the remainder goes to CASH."""
    f = float(np.clip(factor, 0.0, 1.0))
    w = as_float_series(weights)
    vals, index = w.to_numpy(dtype="float64", copy=True), w.index
    labels = index.tolist()  # list lookups: hashing a new Arrow-backed string index costs more
    if CASH not in labels:
        index, vals, labels = index.append(pd.Index([CASH])), np.append(vals, 0.0), [*labels, CASH]
    risky = np.array([a != CASH for a in labels], dtype=bool)
    freed = float(np.nansum(vals[risky])) * (1.0 - f)
    vals[risky] = vals[risky] * f
    vals[~risky] = vals[~risky] + freed
    return pd.Series(vals, index=index, name=w.name)


def basket_returns(data: MarketData, weights: pd.Series, window: int | None = None) -> pd.Series:
    """Daily simple returns of a constant-mix basket of ``weights`` (CASH earns 0), last ``window`` bars.

    Missing asset returns (before listing) count as 0, i.e. that slice sits in cash.
    """
    w = pd.Series(weights, dtype="float64").drop(CASH, errors="ignore")
    w = w[w > 0]
    close = data.close
    if window is not None:
        close = close.iloc[-(window + 1):]
    if w.empty or len(close) < 2:
        return pd.Series(0.0, index=close.index[1:], dtype="float64")
    r = close[list(w.index)].pct_change(fill_method=None).iloc[1:].fillna(0.0)
    return r @ w


def annual_vol(returns: pd.Series) -> float:
    """Annualised volatility (fraction, sqrt(365) scaling) of daily returns; NaN with < 2 values."""
    r = returns.dropna()
    return float(r.std(ddof=1) * np.sqrt(DAYS_PER_YEAR)) if len(r) >= 2 else float("nan")


def hysteresis(enter: np.ndarray, leave: np.ndarray, start: bool = False) -> np.ndarray:
    """State path of a two-threshold switch: on when ``enter`` fires, off again only when ``leave`` fires.

    Parameters
    ----------
    enter, leave
        Boolean arrays over time (NaN-free).
    start
        State before the first element.

    Returns
    -------
    numpy.ndarray
        Boolean state after each step (uses only elements up to that step).
    """
    state = bool(start)
    out = np.empty(len(enter), dtype=bool)
    for i, (e, lv) in enumerate(zip(enter, leave, strict=True)):
        if not state and e:
            state = True
        elif state and lv:
            state = False
        out[i] = state
    return out
