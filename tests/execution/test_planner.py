"""Order planner: market filters, routing, dust, drift threshold and the tracking error of a $10,000 account."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pandas as pd
import pytest
from rich.console import Console

from indexer._typing import Holdings, TargetPortfolio
from indexer.exceptions import ExecutionError
from indexer.execution import PaperBroker, execute, plan_orders, symbols_to_price
from indexer.execution.ccxt_broker import markets_from_ccxt
from indexer.execution.market_info import ccxt_markets, last_prices

from .helpers import PRICES, target

D = Decimal


def _setup(usd: dict[str, float], btc_only=()):
    ex = ccxt_markets(usd, btc_only=btc_only)
    prices = {s: D(str(usd[m["base"]])) / D(str(usd[m["quote"]] if m["quote"] != "USDT" else 1))
              for s, m in ex.markets.items()}
    return ex, prices


def _plan(tp, balances, usd, btc_only=(), **kw):
    ex, prices = _setup(usd, btc_only)
    hold = Holdings({k: D(str(v)) for k, v in balances.items()})
    plan = plan_orders(tp, hold, prices, markets_from_ccxt(ex.markets), amount_to_precision=None, **kw)
    return plan, ex, prices


def assert_respects_filters(plan, ex, prices):
    """Every order: on the lot step, >= min amount, <= max amount, >= min notional."""
    assert plan.orders
    for o in plan.orders:
        m = ex.markets[o.symbol]
        assert D(ex.amount_to_precision(o.symbol, float(o.amount))) == o.amount, o
        assert o.amount >= D(str(m["limits"]["amount"]["min"])), o
        assert o.amount <= D(str(m["limits"]["amount"]["max"])), o
        assert o.amount * prices[o.symbol] >= D(str(m["limits"]["cost"]["min"])), o


def test_sells_first_routing_via_btc_and_filters():
    tp = target({"BTC": 0.3, "ETH": 0.2, "ADA": 0.2, "XYZ": 0.1, "PEPE": 0.1})
    plan, ex, prices = _plan(tp, {"USDT": 8000, "LTC": 10, "XRP": 300}, PRICES, btc_only=["XYZ"])
    assert_respects_filters(plan, ex, prices)
    sides = [o.side for o in plan.orders]
    assert sides == sorted(sides, key=lambda s: s != "sell"), sides  # every sell before every buy
    xyz = next(o for o in plan.orders if o.asset == "XYZ")
    btc = next(o for o in plan.orders if o.symbol == "BTC/USDT")
    assert xyz.symbol == "XYZ/BTC" and xyz.note == "via BTC" and xyz.leg > btc.leg
    # BTC bought for its own weight plus the BTC the XYZ leg spends
    xyz_btc = xyz.amount * prices["XYZ/BTC"]
    assert btc.amount * prices["BTC/USDT"] == pytest.approx(
        D("0.3") * plan.portfolio_value + xyz_btc * prices["BTC/USDT"], rel=D("0.01"))
    assert plan.expected_weights["BTC"] == pytest.approx(0.3, abs=0.003)
    assert plan.expected_weights["XYZ"] == pytest.approx(0.1, abs=0.003)
    assert {o.asset for o in plan.orders if o.side == "sell"} == {"LTC", "XRP"}


def test_dust_and_drift_threshold_are_skipped_and_reported():
    usd = PRICES
    # hold the target already, plus 0.00002 BTC of dust (2.2 USDT < 5 USDT min notional) of an unwanted asset
    tp = target({"ETH": 0.5})
    eth_qty = 5000 / usd["ETH"]
    plan, *_ = _plan(tp, {"USDT": 5000, "ETH": eth_qty * 1.0005, "BTC": 0.00002}, usd)
    reasons = {s.asset: s.reason for s in plan.skipped}
    assert not plan.orders
    assert "below threshold" in reasons["ETH"]
    assert reasons["BTC"].startswith("dust") and "notional 5" in reasons["BTC"]


def test_unroutable_or_unpriced_assets_are_clear_errors():
    with pytest.raises(ExecutionError, match="no market to trade NOPE: tried NOPE/USDT, NOPE/BTC, NOPE/ETH"):
        _plan(target({"NOPE": 0.5}), {"USDT": 1000}, PRICES, untradeable="fail")
    ex, prices = _setup(PRICES)
    prices.pop("ETH/USDT")
    with pytest.raises(ExecutionError, match="no price for ETH/USDT"):
        plan_orders(target({"ETH": 0.5}), Holdings({"USDT": D(1000)}), prices, markets_from_ccxt(ex.markets))


def test_plan_is_frozen_and_printable():
    plan, *_ = _plan(target({"BTC": 0.5, "ETH": 0.5}), {"USDT": 10_000}, PRICES)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.orders = ()  # type: ignore[misc]
    console = Console(record=True, width=140)
    console.print(plan)
    text = console.export_text()
    assert "Order plan" in text and "BTC/USDT" in text and "residual tracking error" in text
    assert plan.to_dict()["orders"][0]["symbol"] in ("BTC/USDT", "ETH/USDT")


def _reference_targets(reference) -> dict[str, TargetPortfolio]:
    usd = last_prices(reference)
    stable = set(reference.assets.stablecoins())
    assets = [a for a in usd if a not in stable]
    as_of = reference.close.index[-1]
    mcap = reference.market_cap.ffill().iloc[-1].reindex(assets).dropna()
    out = {
        "equal weight, all assets": TargetPortfolio(as_of, pd.Series(1 / len(assets), index=assets)),
        "market cap, all assets": TargetPortfolio(as_of, mcap / mcap.sum()),
    }
    try:
        from pathlib import Path

        from indexer.strategy import Strategy

        path = Path(__file__).resolve().parents[2] / "strategies" / "top10_capped.yaml"
        out["top10_capped"] = Strategy.from_yaml(path).target(reference, as_of)
    except ImportError:  # strategy layer absent in a partial checkout
        pass
    return out


def test_tracking_error_of_a_10k_account_over_the_reference_universe(reference, record_property):
    usd = last_prices(reference)
    usd["USDT"] = 1.0
    ex, prices = _setup(usd)
    figures = {}
    for name, tp in _reference_targets(reference).items():
        # from cash, and from a drifted portfolio (target quantities moved -30% .. +30%, seeded)
        rng = pd.Series(range(len(tp.invested)), index=tp.invested.index) % 7 / 10 - 0.3
        drifted = {a: 10_000 * float(w) * (1 + float(rng[a])) / usd[a] for a, w in tp.invested.items() if w > 0}
        drifted["USDT"] = 1_000
        for start, bal in (("cash", {"USDT": 10_000}), ("drifted", drifted)):
            hold = Holdings({k: D(str(v)) for k, v in bal.items()})
            markets = markets_from_ccxt(ex.markets)
            syms = symbols_to_price(set(tp.invested.index) | set(bal) - {"USDT"}, markets, "USDT")
            # a 0.1 % cash buffer (the default is 0.3 %, which alone leaves 0.3 % in cash): the many tiny
            # legs of an equal-weight book over every reference asset are what this test measures
            plan = plan_orders(tp, hold, {s: prices[s] for s in syms}, markets, cash_buffer=0.001)
            assert_respects_filters(plan, ex, prices)
            # the paper account really lands where the plan says
            paper = PaperBroker(ex, prices, bal, fee_rate=0.001)
            report = execute(plan, paper, f"te-{name}-{start}")
            assert report.ok, report.errors
            assert report.tracking_error == pytest.approx(plan.tracking_error, abs=1e-4)
            assert report.tracking_error < 0.005, (name, start, report.tracking_error)
            figures[f"{name} from {start}"] = round(report.tracking_error, 5)
    record_property("tracking_error", figures)
    print("post-trade tracking error (fraction of portfolio value):", figures)
    assert len(figures) >= 4


def test_funding_converges_in_one_step_when_positions_sit_inside_their_drift_bands():
    """Issue 12: every other position inside its band, cash short of the one buy. The buys scale down in one
    proportional step, the cash buffer stays, the paper account takes every order, a rerun does nothing."""
    tp = target({"BTC": 0.3, "ETH": 0.2, "ADA": 0.1, "LTC": 0.1, "XRP": 0.1, "BNB": 0.1, "LINK": 0.1})
    values = {"BTC": 3010, "ETH": 2006, "ADA": 1003, "LTC": 1004, "XRP": 1002, "BNB": 1005, "LINK": 800}
    bal = {a: v / PRICES[a] for a, v in values.items()}
    bal["USDT"] = 10_000 - sum(values.values())  # 170 USDT for a ~200 USDT buy
    plan, ex, prices = _plan(tp, bal, PRICES, drift_threshold=0.005)
    assert [(o.asset, o.side) for o in plan.orders] == [("LINK", "buy")]
    assert 0.6 < plan.funding_scale < 0.75 and "scaled to" in plan.orders[0].note
    assert any("buys scaled" in n for n in plan.notes)
    cash_after = D(str(bal["USDT"])) - plan.orders[0].amount * prices["LINK/USDT"]
    assert cash_after >= D("0.003") * plan.portfolio_value - 1  # the buffer stays (within one lot)
    paper = PaperBroker(ex, prices, bal, fee_rate=0.001)
    report = execute(plan, paper, "funding-one-step")
    assert report.ok and report.rejected == 0
    again, *_ = _plan(tp, {k: float(v) for k, v in paper.fetch_holdings().balances.items()}, PRICES,
                      drift_threshold=0.005)
    assert not again.orders


def test_locked_funds_are_not_spent_and_sells_use_free_quantities():
    from indexer.execution import AccountBalance, Balance

    tp = target({"BTC": 0.5, "ETH": 0.5})
    ex, prices = _setup(PRICES)
    eth = D("1.2")
    bal = AccountBalance({"USDT": Balance(D(3000), D(2000), D(5000)),  # 2,000 USDT locked by an open order
                          "ETH": Balance(eth / 2, eth / 2, eth)})  # half the ETH locked too
    plan = plan_orders(tp, bal, prices, markets_from_ccxt(ex.markets))
    buys = sum(o.amount * o.price for o in plan.orders if o.side == "buy")
    assert buys <= D(3000) and plan.available <= D(3000)
    assert all(o.amount <= eth / 2 for o in plan.orders if o.side == "sell")


@pytest.mark.parametrize("policy, btc, cash", [("redistribute", 0.7, 0.3), ("cash", 0.6996, 0.3004)])
def test_a_target_position_below_the_market_minimum_follows_the_untradeable_policy(policy, btc, cash):
    tp = target({"BTC": 0.6996, "ETH": 0.0004, "CASH": 0.3})  # 4 USDT of ETH < the 5 USDT minimum notional
    plan, *_ = _plan(tp, {"USDT": 10_000}, PRICES, untradeable=policy)
    assert [(u.asset, u.policy) for u in plan.untradeable] == [("ETH", policy)]
    assert "below the ETH/USDT minimum" in plan.untradeable[0].reason
    assert plan.target_weights["BTC"] == pytest.approx(btc, abs=1e-4)
    assert plan.target_weights["CASH"] == pytest.approx(cash, abs=1e-4)
    assert [o.asset for o in plan.orders] == ["BTC"]
    with pytest.raises(ExecutionError, match="ETH: target 4.00 USDT is below the ETH/USDT minimum"):
        _plan(tp, {"USDT": 10_000}, PRICES, untradeable="fail")


def test_solver_noise_weights_are_not_reported_as_untradeable():
    """An optimiser's ~1e-12 weight is nothing to open: no untradeable note, no 'fail' refusal, no order."""
    tp = target({"BTC": 0.7, "ETH": 1e-12, "CASH": 0.3 - 1e-12})
    for policy in ("redistribute", "fail"):
        plan, *_ = _plan(tp, {"USDT": 10_000}, PRICES, untradeable=policy)
        assert plan.untradeable == () or list(plan.untradeable) == []
        assert not any("ETH" in n for n in plan.notes) and [o.asset for o in plan.orders] == ["BTC"]


def test_sold_and_bought_assets_land_on_the_same_buffered_book():
    """The cash buffer is part of the plan's aim: a sold asset and a bought one end at the same weight,
    (1 - buffer) x target, and a rerun of the paper account finds nothing to trade."""
    tp = target({"BTC": 0.5, "ETH": 0.5})
    bal = {"BTC": 7_000 / PRICES["BTC"], "ETH": 3_000 / PRICES["ETH"], "USDT": 0.0}
    plan, ex, prices = _plan(tp, bal, PRICES)
    assert [(o.asset, o.side) for o in plan.orders] == [("BTC", "sell"), ("ETH", "buy")]
    assert plan.funding_scale == 1.0 and not plan.notes  # nothing to scale: the buffer is in the target
    for a in ("BTC", "ETH"):
        assert plan.expected_weights[a] == pytest.approx(0.5 * (1 - 0.003), abs=2e-4), plan.expected_weights
    assert plan.expected_weights["CASH"] == pytest.approx(0.003, abs=2e-4)
    paper = PaperBroker(ex, prices, bal, fee_rate=0.001)
    assert execute(plan, paper, "buffered-book").ok
    again, *_ = _plan(tp, {k: float(v) for k, v in paper.fetch_holdings().balances.items()}, PRICES)
    assert not again.orders and all("below threshold" in s.reason for s in again.skipped), again.skipped
