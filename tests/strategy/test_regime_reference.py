"""The regime filter on the real reference data: 2022's bear market goes to CASH, recoveries come back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer import CASH
from indexer.strategy import Strategy

BASE = {
    "name": "regime_test",
    "universe": {"top_n": 10, "min_history_days": 90},
    "optimiser": {"objective": "market_cap", "params": {"max_weight": 0.25}},
}


def test_no_band_regime_matches_independent_btc_ma_and_fear_greed(reference) -> None:
    ov = {"name": "regime_filter", "market": "BTC", "ma_days": 200, "band": 0.0, "fear_below": 30,
          "recover_above": 30, "sentiment_smoothing": 7, "exposures": [1.0, 0.5, 0.0]}
    s = Strategy.from_dict({**BASE, "overlays": [ov]})
    btc = reference.close["BTC"]
    ma = btc.rolling(200).mean()
    fg = reference.sentiment.index.rolling(7, min_periods=1).mean()
    seen = set()
    for t in pd.date_range("2020-09-01", "2025-04-01", freq="MS", tz="UTC"):
        tp = s.target(reference, t)
        k = int(btc[t] < ma[t]) + int(fg.loc[:t].iloc[-1] < 30)
        assert 1.0 - tp.cash == pytest.approx([1.0, 0.5, 0.0][k], abs=1e-12), t
        seen.add(k)
    assert seen == {0, 1, 2}


def test_default_regime_filter_exits_in_2022_and_returns_in_2023(reference) -> None:
    s = Strategy.from_dict({**BASE, "overlays": [{"name": "regime_filter"}]})
    for bear in ("2022-06-01", "2022-07-01", "2022-12-01"):
        tp = s.target(reference, bear)
        assert tp.cash == pytest.approx(1.0), bear
        assert tp.diagnostics["overlays"][0]["trend_bearish"] is True
    for bull in ("2023-04-01", "2024-03-01"):
        tp = s.target(reference, bull)
        assert tp.cash == pytest.approx(0.0, abs=1e-12), bull
    tp = s.target(reference, "2025-08-01")
    assert "stale" in tp.diagnostics["overlays"][0]["note"]
    assert np.isclose(tp.weights.drop(CASH).sum() + tp.cash, 1.0)
