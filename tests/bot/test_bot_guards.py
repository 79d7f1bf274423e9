"""Risk guards: stale data, price sanity, order notional, turnover, kill switch (numbers)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pandas as pd
import pytest

from indexer.exceptions import StaleDataError
from indexer.execution import guards

UTC = dt.UTC


def test_stale_data_counts_from_the_bar_close() -> None:
    bar = pd.Timestamp("2025-10-24", tz="UTC")  # closes 2025-10-25 00:00
    assert guards.check_stale(bar, dt.datetime(2025, 10, 25, 6, tzinfo=UTC), 36) == pytest.approx(6.0)
    with pytest.raises(StaleDataError, match=r"closed 37.0 h ago.*max_age_hours=36"):
        guards.check_stale(bar, dt.datetime(2025, 10, 26, 13, tzinfo=UTC), 36)


def test_price_sanity_names_the_asset() -> None:
    dev = guards.check_prices({"BTC": 101.0, "ETH": 10.0}, {"BTC": 100.0, "ETH": 10.5}, 0.1)
    assert dev["BTC"] == pytest.approx(0.01) and dev["ETH"] == pytest.approx(-0.047619, abs=1e-6)
    with pytest.raises(guards.RiskLimitError, match=r"ETH 8 vs last close 10.*-20.0%"):
        guards.check_prices({"BTC": 101.0, "ETH": 8.0}, {"BTC": 100.0, "ETH": 10.0}, 0.1)


def test_order_notional_and_turnover() -> None:
    orders = [SimpleNamespace(leg=0, side="buy", symbol="BTC/USDT", value=Decimal("4999")),
              SimpleNamespace(leg=1, side="buy", symbol="ETH/USDT", value=Decimal("5001"))]
    with pytest.raises(guards.RiskLimitError, match=r"leg 1 buy ETH/USDT worth 5,001.00"):
        guards.check_orders(orders, 5000)
    guards.check_orders(orders[:1], 5000)
    guards.check_turnover(0.5, 0.5)
    with pytest.raises(guards.RiskLimitError, match="turnover 60.00% over risk.max_turnover=50.00%"):
        guards.check_turnover(0.6, 0.5)


def test_kill_switch_daily_loss_and_drawdown() -> None:
    now = dt.datetime(2025, 1, 10, tzinfo=UTC)
    idx = pd.to_datetime(["2025-01-01 00:00", "2025-01-05 00:00", "2025-01-09 00:00", "2025-01-09 12:00"], utc=True)
    values = pd.Series([100.0, 120.0, 110.0, 105.0], index=idx)
    out = guards.check_kill_switch(values, now, 104.0, 0.1, 0.2)
    assert out["daily_loss"] == pytest.approx(1 - 104 / 110)  # newest snapshot >= 24 h old: 01-09 00:00
    assert out["drawdown"] == pytest.approx(1 - 104 / 120)
    with pytest.raises(guards.KillSwitch, match="daily loss 10.91%"):
        guards.check_kill_switch(values, now, 98.0, 0.1, 0.5)
    with pytest.raises(guards.KillSwitch, match="drawdown 25.00%.*peak 120.00"):
        guards.check_kill_switch(values, now, 90.0, 0.5, 0.2)
    assert guards.check_kill_switch(values.iloc[:0], now, 1.0, 0.1, 0.1) == {"daily_loss": 0.0, "drawdown": 0.0}
