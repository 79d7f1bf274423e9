"""No look-ahead: weights decided at t are identical when every row after t is removed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from indexer.strategy import Strategy

REPO = Path(__file__).resolve().parents[2]


def _truncated(data, t: pd.Timestamp):
    """``data`` with every row after ``t`` physically removed (not via .until)."""
    keep = data.close.index <= t
    sent = data.sentiment
    idx = sent.index[sent.index.index <= t] if sent.index is not None else None
    texts = sent.texts[sent.texts["timestamp"] <= t] if sent.texts is not None else None
    return replace(
        data,
        close=data.close[keep],
        volume=None if data.volume is None else data.volume[keep],
        market_cap=None if data.market_cap is None else data.market_cap[keep],
        metrics={k: v[keep] for k, v in data.metrics.items()},
        sentiment=type(sent)(index=idx, texts=texts),
    )


@pytest.mark.parametrize("file", sorted(p.name for p in (REPO / "strategies").glob("*.yaml")))
@pytest.mark.parametrize("as_of", ["2021-06-01", "2023-02-01", "2025-01-01"])
def test_truncating_the_future_changes_nothing(reference, file: str, as_of: str) -> None:
    s = Strategy.from_yaml(REPO / "strategies" / file)
    t = pd.Timestamp(as_of, tz="UTC")
    full = s.target(reference, t)
    cut = s.target(_truncated(reference, t), t)
    # closed forms are bit-identical; a warm-started solver repeats itself only to ~1e-12
    pd.testing.assert_series_equal(full.weights, cut.weights, check_exact=False, rtol=0.0, atol=1e-9)
    assert full.diagnostics["universe"] == cut.diagnostics["universe"]
