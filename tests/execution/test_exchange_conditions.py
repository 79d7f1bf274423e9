"""Real-account exchange conditions against the simulator: retries of documented retryable errors, the clock
sync, and halted markets."""

from __future__ import annotations

from indexer.execution import execute

from .helpers import assert_no_duplicates, broker_for, post_orders, target
from .test_end_to_end import plan_for


def test_1001_internal_error_bodies_are_retried_and_orders_stay_single(sim):
    """HTTP 503 with Binance's -1001 JSON body reaches ccxt as OperationFailed (not a NetworkError):
    retried with backoff on reads and on order placement (client id looked up first), nothing doubled."""
    delays: list[float] = []
    b = broker_for(sim, sleep=delays.append)
    sim.control("faults", [{"kind": "1001", "target": "GET account", "times": 2}])
    assert b.fetch_balance().free("USDT") == 10_000
    assert b.retries == 2 and len(delays) == 2 and delays[1] > delays[0]
    plan = plan_for(b, target({"BTC": 0.5, "ETH": 0.4}))
    sim.control("faults", [{"kind": "1001", "target": "POST order", "times": 2}])
    report = execute(plan, b, "retry-1001")
    assert report.ok and report.tracking_error < 0.005
    sent = [r["clientOrderId"] for r in post_orders(sim)]
    assert len(sent) == len(plan.orders) + 2 and len(set(sent)) == len(plan.orders)
    assert len(sim.engine.orders) == len(plan.orders)
    assert_no_duplicates(sim)


def test_clock_skew_is_synced_through_ccxt_and_retried(make_sim):
    """The exchange clock 3 s behind the client: -1021 on signed calls until the offset is synced with
    ccxt's load_time_difference (then adjustForTimeDifference keeps it); one sync, then all calls pass."""
    sim = make_sim(clock_skew_ms=-3000)
    b = broker_for(sim)
    b.markets()
    assert b.fetch_balance().free("USDT") == 10_000
    assert b.time_syncs == 1 and b.exchange.options["adjustForTimeDifference"] is True
    assert 2500 <= b.exchange.options["timeDifference"] <= 3500
    report = execute(plan_for(b, target({"BTC": 0.5})), b, "retry-clock")
    assert report.ok and b.time_syncs == 1
    assert_no_duplicates(sim)


def test_retryable_classification(sim):
    """What is retried: ccxt's network family and Binance's documented try-again codes; not rejections."""
    import ccxt

    b = broker_for(sim)
    for exc in (ccxt.RequestTimeout("x"), ccxt.ExchangeNotAvailable("x"), ccxt.OnMaintenance("x"),
                ccxt.DDoSProtection("x"), ccxt.RateLimitExceeded("x"), ccxt.InvalidNonce("x"),
                ccxt.OperationFailed('binance {"code":-1001,"msg":"Internal error; unable to process"}'),
                ccxt.ExchangeError('binance {"code":-1007,"msg":"Timeout waiting for response"}'),
                ccxt.ExchangeError('binance {"code":-1021,"msg":"Timestamp outside of the recvWindow"}')):
        assert b.retryable(exc), exc
    for exc in (ccxt.InsufficientFunds("x"), ccxt.InvalidOrder("x"), ccxt.BadSymbol("x"),
                ccxt.AuthenticationError("x"), ccxt.ExchangeError('binance {"code":-1013,"msg":"LOT_SIZE"}')):
        assert not b.retryable(exc), exc


def test_halted_market_is_untradeable_and_follows_the_policy(make_sim):
    """A listed but halted market (exchangeInfo status BREAK) counts as no market: its target weight is
    spread pro rata (default) and the plan says why; `fail` refuses naming the halted market."""
    import pytest

    from indexer.exceptions import ExecutionError
    from indexer.execution import plan_orders

    sim = make_sim(halted=["LINK/USDT"])
    b = broker_for(sim)
    m = b.markets()
    assert m["LINK/USDT"].active is False and m["BTC/USDT"].active is True
    tp = target({"BTC": 0.45, "LINK": 0.1, "ETH": 0.45})
    prices = b.fetch_prices(["BTC/USDT", "ETH/USDT"])
    plan = plan_orders(tp, b.fetch_balance(), prices, m, amount_to_precision=b.amount_to_precision)
    assert [u.asset for u in plan.untradeable] == ["LINK"] and "LINK/USDT halted" in plan.untradeable[0].reason
    assert plan.target_weights["BTC"] == pytest.approx(0.5) and "LINK" not in {o.asset for o in plan.orders}
    with pytest.raises(ExecutionError, match="LINK/USDT halted"):
        plan_orders(tp, b.fetch_balance(), prices, m, untradeable="fail")
