"""Small synthetic MarketData builders for universe and compliance tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer.data import Asset, AssetRegistry, MarketData


def make_data(
    caps: dict[str, float],
    kinds: dict[str, str] | None = None,
    themes: dict[str, tuple[str, ...]] | None = None,
    start: dict[str, int] | None = None,
    volume: dict[str, float] | None = None,
    days: int = 200,
    seed: int = 0,
) -> MarketData:
    """Constant market caps ``caps`` (USD); asset ``s`` starts trading at bar ``start[s]`` (default 0)."""
    kinds = kinds or {}
    themes = themes or {}
    start = start or {}
    volume = volume or {}
    idx = pd.date_range("2022-01-01", periods=days, freq="D", tz="UTC", name="timestamp")
    cols = pd.Index(list(caps), name="asset")
    rng = np.random.default_rng(seed)
    close = pd.DataFrame(np.exp(np.cumsum(rng.normal(0, 0.02, (days, len(cols))), axis=0)), index=idx, columns=cols)
    cap = pd.DataFrame({s: np.full(days, c, dtype=float) for s, c in caps.items()}, index=idx)
    cap.columns = cols
    vol = pd.DataFrame({s: np.full(days, volume.get(s, 1e8), dtype=float) for s in caps}, index=idx)
    vol.columns = cols
    for s, b in start.items():
        close.iloc[:b, cols.get_loc(s)] = np.nan
        cap.iloc[:b, cols.get_loc(s)] = np.nan
        vol.iloc[:b, cols.get_loc(s)] = np.nan
    reg = AssetRegistry(Asset(s, s, kinds.get(s, "currency"), themes.get(s, ())) for s in caps)
    return MarketData(close=close, volume=vol, market_cap=cap, assets=reg)


@pytest.fixture(name="make_data")
def _make_data_fixture():
    """The :func:`make_data` builder."""
    return make_data


@pytest.fixture
def ranked_data() -> MarketData:
    """15 assets A01..A15 with caps decreasing in that order."""
    return make_data({f"A{i:02d}": 1e9 * (100 - i) for i in range(1, 16)})
