"""Real returns windows from the reference data for optimiser tests."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def window(reference) -> pd.DataFrame:
    """120 daily returns (2024-01-02 .. 2024-04-30) of every non-stablecoin asset fully covered then."""
    close = reference.close.loc["2024-01-01":"2024-04-30"]
    stable = set(reference.assets.stablecoins())
    r = close.pct_change(fill_method=None).iloc[1:]
    keep = [a for a in r.columns if a not in stable and r[a].notna().all()]
    assert len(keep) >= 15, keep
    return r[keep]


@pytest.fixture(scope="session")
def registry(reference):
    return reference.assets


@pytest.fixture(scope="session")
def caps_volume(reference) -> tuple[pd.Series, pd.Series]:
    """Market caps on 2024-04-30 and 30-day average USD volume (ffilled where missing)."""
    mc = reference.market_cap.loc[:"2024-04-30"].ffill().iloc[-1]
    vol = reference.volume.loc["2024-04-01":"2024-04-30"].mean()
    return mc, vol
