"""``jsonable``: diagnostics, stats and settings made JSON-friendly (one converter for strategy and backtest)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["jsonable"]


def _floats(values: np.ndarray) -> list[float | None]:
    """Finite floats as Python floats, NaN/inf as ``None``."""
    return [v if v - v == 0.0 else None for v in values.tolist()]  # v - v is NaN for NaN and inf


def _numeric(x: pd.Series | pd.DataFrame) -> bool:
    dt = x.dtypes if isinstance(x, pd.DataFrame) else [x.dtype]
    return all(d.kind == "f" for d in dt)


def jsonable(x: Any) -> Any:
    """Return a JSON-friendly copy of ``x``.

    NaN/inf -> ``None``; numpy scalars -> Python scalars; timestamps -> ISO
    strings; mappings -> dicts with string keys; lists, tuples and arrays ->
    lists; a Series -> ``{index: value}``; a DataFrame -> ``{row: {column:
    value}}``.  Anything else is returned as is.
    """
    t = type(x)
    if t is float:
        return x if x - x == 0.0 else None
    if t is str or t is int or t is bool or x is None:
        return x
    if t is dict:
        return {str(k): jsonable(v) for k, v in x.items()}
    if t is list or t is tuple:
        return [jsonable(v) for v in x]
    if isinstance(x, pd.DataFrame):
        if _numeric(x):
            cols = [str(c) for c in x.columns]
            rows = x.to_numpy(dtype="float64")
            return {str(k): dict(zip(cols, _floats(r), strict=True)) for k, r in zip(x.index, rows, strict=True)}
        return {str(k): jsonable(v) for k, v in x.to_dict(orient="index").items()}
    if isinstance(x, pd.Series):
        if _numeric(x):
            return dict(zip(map(str, x.index), _floats(x.to_numpy(dtype="float64")), strict=True))
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return [jsonable(v) for v in x] if x.ndim > 1 else _floats(x)
    if isinstance(x, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return None if not np.isfinite(x) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, pd.Timestamp):
        return x.isoformat()
    return x
