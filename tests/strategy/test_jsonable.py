"""``jsonable``: the one JSON-friendly converter used by strategy diagnostics and backtest results."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from indexer.backtesting.result import jsonable as backtest_jsonable
from indexer.strategy.jsonable import jsonable


def test_scalars_containers_and_non_finite() -> None:
    ts = pd.Timestamp("2024-06-01", tz="UTC")
    x = {1: np.float64(0.25), "n": np.int64(3), "b": np.bool_(True), "bad": [float("nan"), np.inf], "t": (ts, "s")}
    out = jsonable(x)
    assert out == {"1": 0.25, "n": 3, "b": True, "bad": [None, None], "t": ["2024-06-01T00:00:00+00:00", "s"]}
    assert type(out["n"]) is int and type(out["b"]) is bool
    json.dumps(out, allow_nan=False)


def test_frames_series_and_arrays() -> None:
    s = pd.Series([0.5, np.nan], index=["BTC", "ETH"])
    df = pd.DataFrame({"w": [0.5, np.inf], "kind": ["coin", "token"]}, index=["BTC", "ETH"])
    assert jsonable(s) == {"BTC": 0.5, "ETH": None}
    assert jsonable(df) == {"BTC": {"w": 0.5, "kind": "coin"}, "ETH": {"w": None, "kind": "token"}}
    assert jsonable(np.array([[1.0, np.nan]])) == [[1.0, None]]
    assert jsonable(np.array([1, 2])) == [1, 2]


def test_backtest_uses_the_same_converter() -> None:
    assert backtest_jsonable is jsonable
