"""``PaperBroker.from_market_data``: point-in-time prices, unpriced assets, bad input."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from indexer._typing import Holdings
from indexer.data import MarketData
from indexer.exceptions import ConfigError, DataError, ExecutionError
from indexer.execution import PaperBroker, execute, plan_orders, symbols_to_price
from indexer.execution.market_info import last_prices

from .helpers import target

DAYS = pd.date_range("2025-01-01", periods=40, freq="D", tz="UTC", name="timestamp")


def _data(**overrides: list[float]) -> MarketData:
    """Four assets plus USDT with distinct, moving daily closes (USD)."""
    rng = np.random.default_rng(7)
    base = {"BTC": 90_000.0, "ETH": 3_000.0, "LINK": 20.0, "XRP": 2.5, "USDT": 0.999}
    cols = {a: p * np.exp(np.cumsum(rng.normal(0, 0.02, len(DAYS)))) for a, p in base.items()}
    cols.update({a: np.asarray(v, dtype=float) for a, v in overrides.items()})
    close = pd.DataFrame(cols, index=DAYS)
    close.columns.name = "asset"
    return MarketData(close=close)


def _limits(p: PaperBroker) -> dict[str, object]:
    return dict(p.markets())  # frozen Market: step, tick and every limit compare by value


def test_prices_are_the_closes_at_as_of_and_no_later_row_leaks():
    data = _data()
    t = DAYS[24]
    paper = PaperBroker.from_market_data(data, as_of=t)
    px = paper.fetch_prices(["BTC/USDT", "LINK/USDT", "ETH/BTC"])
    assert px["BTC/USDT"] == Decimal(str(data.close.at[t, "BTC"]))
    assert px["LINK/USDT"] == Decimal(str(data.close.at[t, "LINK"]))
    assert float(px["ETH/BTC"]) == pytest.approx(data.close.at[t, "ETH"] / data.close.at[t, "BTC"], rel=1e-12)
    # truncating the future, or replacing it with absurd values, changes nothing
    poisoned = data.close.copy()
    poisoned.loc[poisoned.index > t] *= 1_000.0
    for other in (data.until(t), MarketData(close=poisoned)):
        again = PaperBroker.from_market_data(other, as_of=t)
        assert again.prices == paper.prices
        assert _limits(again) == _limits(paper)
    assert paper.as_of == t and paper.fetch_holdings().as_of == t


def test_as_of_between_bars_uses_the_last_bar_before_it_and_default_is_the_last_bar():
    data = _data()
    mid = PaperBroker.from_market_data(data, as_of="2025-01-10 15:30")
    assert mid.prices["ETH/USDT"] == Decimal(str(data.close.at[DAYS[9], "ETH"]))
    assert mid.as_of == pd.Timestamp("2025-01-10 15:30", tz="UTC")
    last = PaperBroker.from_market_data(data)
    assert last.as_of == DAYS[-1]
    assert {s: float(p) for s, p in last.prices.items() if s.endswith("/USDT")} == pytest.approx(
        {f"{a}/USDT": v for a, v in last_prices(data).items() if a != "USDT"})


def test_quote_is_the_unit_and_a_number_means_quote_cash():
    paper = PaperBroker.from_market_data(_data(), balances=2_500, fee_rate=0.002)
    assert paper.fetch_holdings().balances == {"USDT": Decimal("2500")}
    assert "USDT/USDT" not in paper.markets() and paper.fee_rate == Decimal("0.002")
    held = PaperBroker.from_market_data(_data(), balances={"USDT": 100, "ETH": "0.5"})
    assert held.fetch_holdings().balances == {"USDT": Decimal("100"), "ETH": Decimal("0.5")}


def test_a_gap_within_max_age_uses_the_last_close_and_an_older_one_leaves_the_asset_unpriced():
    link = [20.0] * 30 + [np.nan] * 10          # last close on day 30
    xrp = [np.nan] * 35 + [2.0] * 5             # first close on day 36
    data = _data(LINK=link, XRP=xrp)
    early = PaperBroker.from_market_data(data, as_of=DAYS[33])
    assert early.prices["LINK/USDT"] == Decimal("20.0")   # 4 days old: still a price
    assert "XRP/USDT" not in early.markets()              # its later closes never leak back
    assert "no positive close" in early.unpriced["XRP"]
    late = PaperBroker.from_market_data(data, as_of=DAYS[-1])
    assert "LINK/USDT" not in late.markets() and "LINK" in late.unpriced
    assert "2025-01-30" in late.unpriced["LINK"] and "max_age=7D" in late.unpriced["LINK"]
    with pytest.raises(ExecutionError, match="LINK"):
        late.fetch_prices(["LINK/USDT"])
    lenient = PaperBroker.from_market_data(data, as_of=DAYS[-1], max_age=None)
    assert lenient.prices["LINK/USDT"] == Decimal("20.0") and not lenient.unpriced


def test_planner_names_an_unpriced_target_asset_and_skips_an_unpriced_holding():
    data = _data(LINK=[20.0] * 20 + [np.nan] * 20)
    paper = PaperBroker.from_market_data(data, balances={"USDT": 10_000, "LINK": 10})
    markets = paper.markets()
    tgt = target({"BTC": 0.5, "LINK": 0.3})
    with pytest.raises(ExecutionError, match="LINK"):
        plan_orders(tgt, paper.fetch_holdings(), paper.fetch_prices(symbols_to_price(["BTC"], markets, "USDT")), markets,
                    untradeable="fail")
    # the default policy spreads LINK's 30 % pro rata (BTC 0.5 -> 0.8) and says so
    spread = plan_orders(tgt, paper.fetch_holdings(), paper.fetch_prices(symbols_to_price(["BTC"], markets, "USDT")),
                         markets)
    assert [u.asset for u in spread.untradeable] == ["LINK"] and spread.target_weights["BTC"] == pytest.approx(0.8)
    assert "LINK" in spread.notes[0] and "pro rata" in spread.notes[0]
    held_only = target({"BTC": 0.5, "ETH": 0.3})
    syms = symbols_to_price(["BTC", "ETH"], markets, "USDT")
    plan = plan_orders(held_only, paper.fetch_holdings(), paper.fetch_prices(syms), markets,
                       amount_to_precision=paper.amount_to_precision)
    assert [s.asset for s in plan.skipped] == ["LINK"]
    report = execute(plan, paper, run_id="paper-from-data")
    assert report.ok and {f.symbol for f in report.fills} == {"BTC/USDT", "ETH/USDT"}
    assert report.tracking_error < 0.01


def test_assets_restricts_the_markets():
    paper = PaperBroker.from_market_data(_data(), assets=["BTC", "ETH"])
    assert set(paper.markets()) == {"BTC/USDT", "ETH/USDT", "ETH/BTC"}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"assets": ["BTC", "NOPE"]}, DataError, "NOPE"),
        ({"as_of": "2024-12-31"}, DataError, "before the first bar"),
        ({"as_of": "2026-01-01"}, DataError, "no asset has a positive close"),
        ({"balances": {"USDT": -5}}, ConfigError, "USDT"),
        ({"balances": {"USDT": 10, "BTC": float("nan")}}, ConfigError, "BTC"),
        ({"fee_rate": 1.5}, ConfigError, "fee_rate"),
        ({"max_age": "0D"}, ConfigError, "max_age"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, error, match):
    with pytest.raises(error, match=match):
        PaperBroker.from_market_data(_data(), **kwargs)


def test_reference_data_account_trades_like_the_cli(reference):
    paper = PaperBroker.from_market_data(reference, balances=10_000)
    usd = last_prices(reference)
    fresh = [a for a in ("BTC", "ETH", "LINK") if f"{a}/USDT" in paper.markets()]
    assert fresh == ["BTC", "ETH", "LINK"]
    assert all(float(paper.prices[f"{a}/USDT"]) == pytest.approx(usd[a]) for a in fresh)
    stale = reference.close.apply(pd.Series.last_valid_index) < reference.end - pd.Timedelta("7D")
    assert set(paper.unpriced) == set(stale[stale].index) - {"USDT"}
    holdings = Holdings({"USDT": Decimal(10_000)}, as_of=paper.as_of)
    assert paper.fetch_holdings() == holdings
