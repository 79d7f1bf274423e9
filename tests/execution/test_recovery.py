"""Persistence hooks of execute() and resuming a partly executed plan against the simulator.

A ``Journal`` plays the caller's database: it records what the hooks report and can
"crash" (raise) at any hook call, like a process killed at that point.  A second
``execute`` with the journal's known orders must finish the plan with no order placed twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from indexer._typing import OrderIntent
from indexer.execution import (
    ExecutionHooks,
    ExecutorSettings,
    KnownOrder,
    OrderPlan,
    client_order_id,
    execute,
    parse_client_order_id,
    recover,
)

from .helpers import assert_no_duplicates, broker_for, target
from .test_end_to_end import plan_for


class Crash(Exception):
    """Stands for SIGKILL at a hook."""


class Journal(ExecutionHooks):
    def __init__(self, crash_at: tuple[str, str] | None = None, rows: dict | None = None) -> None:
        self.rows: dict[str, dict[str, Any]] = rows if rows is not None else {}
        self.calls: list[tuple[str, str]] = []
        self.crash_at = crash_at

    def _hook(self, name: str, intent: OrderIntent) -> None:
        self.calls.append((name, intent.client_order_id))
        if self.crash_at == (name, intent.client_order_id):
            raise Crash(name)

    def on_intent(self, intent: OrderIntent) -> None:
        self.rows[intent.client_order_id] = {"intent": intent, "status": "intent", "filled": Decimal(0), "id": None}
        self._hook("on_intent", intent)  # recorded, not sent

    def on_sent(self, intent: OrderIntent, order: Mapping[str, Any]) -> None:
        self._hook("on_sent", intent)  # sent, not recorded
        self.rows[intent.client_order_id].update(status="sent", id=order.id)

    def on_fill(self, intent: OrderIntent, order: Mapping[str, Any], fills: list) -> None:
        row = self.rows.setdefault(intent.client_order_id, {"intent": intent, "id": None})
        row.update(status=order.status, filled=order.filled)
        self._hook("on_fill", intent)

    def on_found(self, intent: OrderIntent, order: Mapping[str, Any]) -> None:
        self.calls.append(("on_found", intent.client_order_id))

    def on_lost(self, intent: OrderIntent) -> None:
        self.calls.append(("on_lost", intent.client_order_id))

    def known(self) -> list[KnownOrder]:
        return [KnownOrder(r["intent"], r["status"], r["filled"], r["id"]) for r in self.rows.values()]


def _crash_then_resume(b, plan, run: str, crash_at: tuple[str, str], **kw: Any):
    first = Journal(crash_at)
    with pytest.raises(Crash):
        execute(plan, b, run, hooks=first, **kw)
    second = Journal(rows=first.rows)
    report = execute(plan, b, run, hooks=second, known=first.known(), **kw)
    return first, second, report


def test_hooks_see_every_order_before_and_after_it_is_sent(sim) -> None:
    b = broker_for(sim)
    plan = plan_for(b, target({"BTC": 0.5, "ETH": 0.4}))
    seen_on_exchange: list[bool] = []

    class Check(Journal):
        def on_intent(self, intent: OrderIntent) -> None:
            seen_on_exchange.append(any(o.client_order_id == intent.client_order_id for o in sim.engine.orders.values()))
            super().on_intent(intent)

    j = Check()
    report = execute(plan, b, "hooks", hooks=j)
    assert report.ok and not any(seen_on_exchange)
    cids = [client_order_id("hooks", po.leg) for po in plan.orders]
    assert [c for c in j.calls] == [(h, c) for c in cids for h in ("on_intent", "on_sent", "on_fill")]
    assert {c: r["status"] for c, r in j.rows.items()} == dict.fromkeys(cids, "closed")


@pytest.mark.parametrize("hook, leg", [("on_intent", 1), ("on_sent", 1), ("on_fill", 2)])
def test_resume_after_a_crash_at_each_hook_places_every_order_once(make_sim, hook, leg) -> None:
    sim = make_sim({"USDT": 9_000, "LTC": 5})
    b = broker_for(sim)
    plan = plan_for(b, target({"BTC": 0.35, "ETH": 0.25, "ADA": 0.1, "LINK": 0.1}))
    assert len(plan.orders) >= 4
    cid = client_order_id(f"resume-{hook}", leg)
    first, second, report = _crash_then_resume(b, plan, f"resume-{hook}", (hook, cid))
    assert report.ok, (report.errors, report.reconciliation)
    assert report.tracking_error < 0.005 and report.interrupted is None
    assert_no_duplicates(sim)
    placed = sorted(o.client_order_id for o in sim.engine.orders.values())
    assert placed == sorted(client_order_id(f"resume-{hook}", po.leg) for po in plan.orders)
    if hook == "on_intent":  # recorded, never sent: sent now under the same id, not recorded twice
        assert ("on_sent", cid) in second.calls and ("on_intent", cid) not in second.calls
    elif hook == "on_sent":  # on the exchange, not recorded: found, not sent again
        assert ("on_found", cid) in second.calls and ("on_sent", cid) not in second.calls
        assert [o.client_order_id for o in report.resumed] == [cid]
    else:  # recorded as final: trusted, nothing asked or sent for it
        assert not [c for c in second.calls if c[1] == cid] and report.resumed == ()
    assert {r["status"] for r in second.rows.values()} == {"closed"}


def test_resume_inside_a_sliced_leg_does_only_what_is_left(make_sim) -> None:
    sim = make_sim(depth_usd=400.0)
    b = broker_for(sim)
    plan = plan_for(b, target({"BTC": 0.6}))
    (btc,) = [po for po in plan.orders if po.symbol == "BTC/USDT"]
    crash = ("on_intent", client_order_id("slices", btc.leg, 20))  # the third slice: recorded, never sent
    first, second, report = _crash_then_resume(b, plan, "slices", crash)
    assert report.ok and report.tracking_error < 0.005
    assert_no_duplicates(sim)
    orders = [o for o in sim.engine.orders.values() if o.symbol == "BTCUSDT"]
    assert len(orders) >= 4 and all(o.status == "FILLED" for o in orders)
    assert sum(o.executed for o in orders) == btc.amount  # not a lot step more or less
    parts = sorted(parse_client_order_id(o.client_order_id)[1] for o in orders)
    assert parts[:3] == [0, 10, 20] and min(parts[3:]) >= 30  # the rest re-sliced after the known parts


def test_recover_without_resend_cancels_open_orders_and_reports_lost_intents(sim) -> None:
    b = broker_for(sim)
    book = b.fetch_order_book("ETH/USDT", 5)
    bid = book.bids[0].price * Decimal("0.98")
    resting = OrderIntent("ETH/USDT", "buy", Decimal("0.1"), type="limit", price=b.price_to_precision("ETH/USDT", bid),
                          client_order_id=client_order_id("rec", 0), leg="0.0")
    b.submit(resting)
    never = OrderIntent("BTC/USDT", "buy", Decimal("0.001"), client_order_id=client_order_id("rec", 1), leg="1.0")
    j = Journal()
    legs = recover(b, [KnownOrder(resting, "sent"), KnownOrder(never, "intent")], j, resend=False)
    assert ("on_found", resting.client_order_id) in j.calls and ("on_lost", never.client_order_id) in j.calls
    assert [o.status for o in sim.engine.orders.values()] == ["CANCELED"]
    assert legs[0].filled == 0 and legs[0].next_part == 10 and legs[1].resend == []
    assert b.open_orders(None) == []


def test_plan_round_trips_through_json(sim) -> None:
    b = broker_for(sim)
    plan = plan_for(b, target({"BTC": 0.5, "ETH": 0.3, "XYZ": 0.1}))
    again = OrderPlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again.orders == plan.orders and again.skipped == plan.skipped
    assert again.asset_prices == plan.asset_prices and again.portfolio_value == plan.portfolio_value
    for name in ("current_weights", "target_weights", "expected_weights"):
        pd.testing.assert_series_equal(getattr(again, name), getattr(plan, name), check_names=False)
    assert again.digest == plan.digest and again.as_of == plan.as_of


def test_client_order_ids_parse_back() -> None:
    assert parse_client_order_id(client_order_id("run-1", 12, 31)) == (12, 31)
    with pytest.raises(ValueError, match="ix-<run>-<leg>-<part>"):
        parse_client_order_id("my-own-id")


def test_limit_orders_resume_after_a_crash_while_resting(sim) -> None:
    b = broker_for(sim)
    opts = ExecutorSettings(order_type="limit", limit_price="touch", limit_timeout_s=0.2, poll_interval_s=0.05)
    plan = plan_for(b, target({"BTC": 0.5, "ETH": 0.4}))
    cid = client_order_id("lim-resume", plan.orders[0].leg, 0)
    first, second, report = _crash_then_resume(b, plan, "lim-resume", ("on_sent", cid), options=opts)
    assert report.ok and report.tracking_error < 0.005
    assert_no_duplicates(sim)
    first_limit = next(o for o in sim.engine.orders.values() if o.client_order_id == cid)
    assert first_limit.status == "CANCELED"  # found resting after the crash, cancelled, leg completed
    assert ("on_found", cid) in second.calls
    assert not b.open_orders(None)


def test_a_leg_rejected_before_the_crash_is_not_retried_on_resume(sim) -> None:
    b = broker_for(sim)
    plan = plan_for(b, target({"BTC": 0.5, "ETH": 0.4}))
    po = plan.orders[0]
    refused = KnownOrder(po.intent("rejected-run"), "rejected")
    report = execute(plan, b, "rejected-run", known=[refused])
    placed = [parse_client_order_id(o.client_order_id)[0] for o in sim.engine.orders.values()]
    assert po.leg not in placed and sorted(placed) == sorted(o.leg for o in plan.orders[1:])
    assert not report.errors and report.resumed == ()
