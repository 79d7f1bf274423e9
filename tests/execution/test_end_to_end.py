"""End to end: the real ccxt binance client against the loopback simulator reaches the target."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indexer.exceptions import ComplianceError
from indexer.execution import ExecutorSettings, execute, plan_orders, symbols_to_price

from .helpers import assert_no_duplicates, broker_for, target

TARGET = {"BTC": 0.35, "ETH": 0.25, "ADA": 0.1, "LINK": 0.1, "XYZ": 0.1, "PEPE": 0.05}


def plan_for(broker, tp):
    h, m = broker.fetch_holdings(), broker.markets()
    syms = symbols_to_price(set(tp.invested.index) | set(h.balances) - {"USDT"}, m, "USDT")
    return plan_orders(tp, h, broker.fetch_prices(syms), m, amount_to_precision=broker.amount_to_precision)


def sim_weights(sim, report):
    """Weights computed from the simulator's own balances (not the client's view)."""
    px = {a: Decimal(str(p)) for a, p in report.plan.asset_prices.items()}
    px["USDT"] = Decimal(1)
    vals = {a: (Decimal(b) * px[a]) for a, b in sim.engine.balances.items() if a in px}
    total = sum(vals.values())
    return {("CASH" if a == "USDT" else a): float(v / total) for a, v in vals.items()}


def test_market_orders_reach_the_target_and_rerun_never_doubles(make_sim):
    sim = make_sim({"USDT": 9_000, "LTC": 5, "XRP": 100})
    b = broker_for(sim)
    tp = target(TARGET)
    plan = plan_for(b, tp)
    report = execute(plan, b, "e2e-market")
    assert report.ok, (report.errors, report.reconciliation)
    assert report.tracking_error < 0.005
    got = sim_weights(sim, report)
    for asset, w in tp.weights.items():
        assert got.get(asset, 0.0) == pytest.approx(w, abs=0.004), asset
    assert got.get("LTC", 0.0) == 0.0 and got.get("XRP", 0.0) == 0.0
    assert report.fees_quote > 0 and {f.side for f in report.fills} == {"buy", "sell"}
    n = len(sim.engine.orders)
    again = execute(plan, b, "e2e-market")  # same run id: every leg is recognised, nothing new is placed
    assert len(sim.engine.orders) == n and not again.errors
    assert_no_duplicates(sim)
    # every endpoint ccxt called is one the simulator serves (unknown paths would be logged and 404)
    paths = {(r["method"], r["path"]) for r in sim.control("requests")}
    assert paths <= {("GET", "exchangeInfo"), ("GET", "account"), ("GET", "ticker/24hr"), ("GET", "depth"),
                     ("POST", "order"), ("GET", "order"), ("GET", "openOrders"), ("GET", "myTrades")}, paths
    assert {("GET", "exchangeInfo"), ("GET", "account"), ("POST", "order"), ("GET", "openOrders")} <= paths


def test_partially_filled_limit_is_cancelled_and_completed_at_market(sim):
    b = broker_for(sim)
    sim.control("faults", [{"kind": "partial", "target": "POST order", "times": 1, "value": "0.5"}])
    opts = ExecutorSettings(order_type="limit", limit_price="touch", limit_timeout_s=0.3, poll_interval_s=0.1)
    plan = plan_for(b, target({"BTC": 0.9}))
    report = execute(plan, b, "e2e-limit-partial", options=opts)
    assert report.ok and report.tracking_error < 0.005
    limit, market = sorted(sim.engine.orders.values(), key=lambda o: o.order_id)
    assert (limit.type, limit.status) == ("LIMIT", "CANCELED") and limit.executed == limit.qty / 2
    assert (market.type, market.status) == ("MARKET", "FILLED") and market.qty == limit.qty - limit.executed
    assert sum(f.amount for f in report.fills) == limit.qty
    assert {f.price for f in report.fills if f.client_order_id == limit.client_order_id} == {limit.price}


def test_limit_orders_at_mid_fill_as_limit(sim):
    b = broker_for(sim)
    report = execute(plan_for(b, target({"BTC": 0.5, "ETH": 0.4})), b, "e2e-limit",
                     options=ExecutorSettings(order_type="limit", limit_price="mid", limit_timeout_s=5,
                                              poll_interval_s=0.1))
    assert report.ok and report.tracking_error < 0.005
    assert {(o.type, o.status) for o in sim.engine.orders.values()} == {("LIMIT", "FILLED")}


@pytest.mark.parametrize("on_timeout, limits_per_leg", [("market", 1), ("replace", 2)])
def test_passive_limit_times_out_then_replaces_or_goes_to_market(sim, on_timeout, limits_per_leg):
    b = broker_for(sim)
    opts = ExecutorSettings(order_type="limit", limit_price="touch", limit_timeout_s=0.3, poll_interval_s=0.1,
                            on_timeout=on_timeout, max_replacements=1)
    plan = plan_for(b, target({"BTC": 0.5, "ETH": 0.4}))
    report = execute(plan, b, f"e2e-touch-{on_timeout}", options=opts)
    assert report.ok and report.tracking_error < 0.005
    orders = list(sim.engine.orders.values())
    legs = len(plan.orders)
    assert sum(o.type == "LIMIT" and o.status == "CANCELED" for o in orders) == legs * limits_per_leg
    assert sum(o.type == "MARKET" and o.status == "FILLED" for o in orders) == legs
    assert not b.open_orders(None)
    assert_no_duplicates(sim)


def test_large_orders_are_sliced_against_a_thin_book(make_sim):
    sim = make_sim(depth_usd=400.0)
    b = broker_for(sim)
    plan = plan_for(b, target({"BTC": 0.6, "ETH": 0.3}))
    report = execute(plan, b, "e2e-slices", options=ExecutorSettings(max_book_fraction=0.25, depth_bps=50))
    assert report.ok and report.tracking_error < 0.005
    per_symbol: dict[str, int] = {}
    for o in sim.engine.orders.values():
        assert o.status == "FILLED"
        per_symbol[o.symbol] = per_symbol.get(o.symbol, 0) + 1
    # ~ 6,000 USDT of BTC against ~ 400 USDT per level: several slices, none above a quarter of the depth
    assert per_symbol["BTCUSDT"] >= 3
    max_slice = max(o.quote for o in sim.engine.orders.values())  # USDT value of the biggest order
    assert max_slice <= Decimal(20 * 400 * 1.5 * 0.25)  # a quarter of the most the 20 levels can hold


def test_partial_fill_remainder_is_completed(sim):
    b = broker_for(sim)
    sim.control("faults", [{"kind": "partial", "target": "POST order", "times": 1, "value": "0.4"}])
    report = execute(plan_for(b, target({"BTC": 0.5, "ETH": 0.4})), b, "e2e-partial")
    assert report.ok and report.tracking_error < 0.005
    statuses = sorted(o.status for o in sim.engine.orders.values())
    assert statuses == ["EXPIRED", "FILLED", "FILLED"]  # 2 legs + the remainder of the partial one
    assert_no_duplicates(sim)


def test_compliance_hook_blocks_before_any_order(sim):
    b = broker_for(sim)
    plan = plan_for(b, target({"BTC": 0.5, "ETH": 0.4}))
    with pytest.raises(ComplianceError, match="BTC"):
        execute(plan, b, "e2e-compliance", compliance=lambda w: ["rule 'restricted' forbids BTC"] if w["BTC"] > 0 else [])
    assert not sim.engine.orders
