"""Every shipped strategy file validates and answers a target on the reference data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from indexer import CASH
from indexer.strategy import Strategy

REPO = Path(__file__).resolve().parents[2]
FILES = sorted((REPO / "strategies").glob("*.yaml"))


def test_at_least_six_strategies_ship() -> None:
    assert len(FILES) >= 6, [f.name for f in FILES]


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_strategy_validates_and_targets(reference, path: Path) -> None:
    s = Strategy.from_yaml(path)
    assert s.name == path.stem
    assert s.spec.description.strip(), "every shipped strategy documents its methodology"
    assert 0 < s.lookback < 400
    dates = s.rebalance_dates(reference.index)
    assert len(dates) >= 20
    for as_of in ("2022-03-01", "2024-10-01"):
        tp = s.target(reference, as_of)
        w = tp.weights
        assert w.sum() == pytest.approx(1.0, abs=1e-9)
        assert (w >= 0).all()
        held = w[(w > 1e-9) & (w.index != CASH)]
        de_risked = any(o.get("exposure") == 0.0 for o in tp.diagnostics["overlays"])
        assert len(held) >= 1 or (de_risked and tp.cash == pytest.approx(1.0))
        assert not set(held.index) & set(reference.assets.stablecoins())
        assert tp.as_of == pd.Timestamp(as_of, tz="UTC")
        assert set(tp.diagnostics) >= {"universe", "universe_log", "optimiser", "overlays", "compliance_log"}
