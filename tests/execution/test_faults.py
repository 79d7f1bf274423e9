"""Each injected fault yields a retry or a clear error, and never a duplicate order."""

from __future__ import annotations

import pytest

from indexer.execution import execute

from .helpers import assert_no_duplicates, broker_for, post_orders, target
from .test_end_to_end import plan_for

TARGET = {"BTC": 0.5, "ETH": 0.3, "ADA": 0.1}


@pytest.mark.parametrize(
    "fault, retried",
    [
        ({"kind": "latency", "target": "POST order", "value": "0.2"}, False),
        ({"kind": "timeout", "target": "POST order", "value": "1.2"}, True),  # placed, answer lost
        ({"kind": "timeout", "target": "GET depth", "value": "1.2"}, True),
        ({"kind": "429", "target": "POST order", "value": "0.3"}, True),
        ({"kind": "5xx", "target": "POST order", "value": "503"}, True),
        ({"kind": "5xx", "target": "account", "value": "502", "times": 2}, True),
        ({"kind": "5xx", "target": "GET order", "value": "500"}, False),  # no GET order on the market path
    ],
    ids=lambda x: x if isinstance(x, bool) else f"{x['kind']}-{x['target']}",
)
def test_transient_faults_are_retried_without_duplicates(sim, fault, retried):
    delays: list[float] = []
    b = broker_for(sim, timeout_ms=600, sleep=delays.append)
    plan = plan_for(b, target(TARGET))
    sim.control("faults", [{"times": 1, **fault}])
    report = execute(plan, b, f"fault-{fault['kind']}")
    assert report.ok, report.errors
    assert report.tracking_error < 0.005
    assert (b.retries > 0) is retried
    orders = sim.engine.orders.values()
    assert len(orders) == len(plan.orders)  # one order per leg, never two
    assert_no_duplicates(sim)
    if fault["kind"] == "429":
        assert max(delays) >= 0.3  # Retry-After honoured
    if fault["kind"] == "timeout" and fault["target"] == "POST order":
        sent = [r["clientOrderId"] for r in post_orders(sim)]
        assert len(sent) == len(set(sent)) == len(plan.orders)  # looked up by client id, not resubmitted


@pytest.mark.parametrize("kind, message", [("reject_filter", "LOT_SIZE")])
def test_rejections_are_reported_and_never_retried(sim, kind, message):
    b = broker_for(sim)
    plan = plan_for(b, target(TARGET))
    sim.control("faults", [{"kind": kind, "target": "POST order", "times": 1}])
    report = execute(plan, b, f"reject-{kind}")
    assert len(report.errors) == 1 and message in report.errors[0] and "rejected" in report.errors[0]
    assert b.retries == 0
    sent = [r["clientOrderId"] for r in post_orders(sim)]
    assert len(sent) == len(set(sent)) == len(plan.orders)  # the rejected leg was sent once
    assert len(sim.engine.orders) == len(plan.orders) - 1
    assert not report.ok


def test_insufficient_balance_rejection_is_resized_once_from_the_fresh_balance(sim):
    """An insufficient-balance answer is not the end of a buy leg: the free balance is read again and the
    leg re-sent once, sized to it, under a new client id (the rejected id is never reused)."""
    b = broker_for(sim)
    plan = plan_for(b, target(TARGET))
    sim.control("faults", [{"kind": "reject_balance", "target": "POST order", "times": 1}])
    report = execute(plan, b, "reject-reject_balance")
    assert report.rejected == 1 and not report.errors and report.ok
    assert len(report.adjustments) == 1 and "rejected for insufficient balance" in report.adjustments[0]
    assert b.retries == 0
    sent = [r["clientOrderId"] for r in post_orders(sim)]
    assert len(sent) == len(set(sent)) == len(plan.orders) + 1  # the rejected leg re-sent once, new id
    assert len(sim.engine.orders) == len(plan.orders)
    assert report.tracking_error < 0.005
    assert_no_duplicates(sim)


def test_persistent_outage_gives_up_with_a_clear_error_and_no_duplicates(sim):
    delays: list[float] = []
    b = broker_for(sim, max_retries=2, sleep=delays.append)
    plan = plan_for(b, target(TARGET))
    b.exchange.rateLimit = 200  # ms between requests: the backoff floor
    sim.control("faults", [{"kind": "5xx", "target": "POST order", "times": 50, "value": "503"}])
    report = execute(plan, b, "outage")
    assert len(report.errors) == 1
    assert "gave up after retries" in report.errors[0] and "failed after 3 attempts" in report.errors[0]
    assert "later legs not placed" in report.errors[0]
    assert not sim.engine.orders and b.retries == 3
    assert delays == [0.2, 0.4]  # exponential from the exchange's rate limit, then give up
    assert_no_duplicates(sim)
