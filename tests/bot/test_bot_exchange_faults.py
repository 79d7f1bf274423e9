"""Exchange faults during a rebalance on the simulator: a run interrupted by a down exchange resumes
without doubling orders; a rejected order is recorded and the run finishes."""

from __future__ import annotations

from pathlib import Path

from botkit import write_config

from indexer.bot import load_bot_settings, open_bot


def test_exchange_down_mid_run_resumes_without_duplicates(tmp_path: Path, sim) -> None:
    cfg = write_config(tmp_path / "bot.yaml", db_url=f"sqlite:///{tmp_path / 'b.sqlite'}", sim=sim)
    sim.control("faults", [{"kind": "5xx", "target": "POST order", "times": 50, "skip": 3}])
    with open_bot(load_bot_settings(cfg), logs=False) as bot:
        first = bot.once()
        assert first.status == "failed" and "RetryableExecutionError" in first.message
        run = bot.store.run(first.run_id)
        assert run["status"] == "running" and run["step"] == "plan_made"  # left resumable
        states = [o["status"] for o in bot.store.orders_of(first.run_id)]
        assert states == ["closed"] * 3 + ["intent"]
        sim.control("faults", method="DELETE")
        second = bot.once()
        assert second.status == "done" and second.run_id == first.run_id and second.resumed == [first.run_id]
        planned = [o["client_order_id"] for o in bot.store.run(first.run_id)["plan"]["orders"]]
    placed = [o["clientOrderId"] for o in sim.control("state")["orders"]]
    assert sorted(placed) == sorted(planned) and len(placed) == 10


def test_rejected_order_is_recorded_and_the_run_finishes(tmp_path: Path, sim) -> None:
    cfg = write_config(tmp_path / "bot.yaml", db_url=f"sqlite:///{tmp_path / 'b.sqlite'}", sim=sim)
    sim.control("faults", [{"kind": "reject_balance", "target": "POST order", "times": 1, "skip": 9}])
    with open_bot(load_bot_settings(cfg), logs=False) as bot:
        res = bot.once()
        assert res.status == "done" and "(1 rejected)" in res.message
        orders = bot.store.orders_of(res.run_id)
        assert [o["status"] for o in orders].count("rejected") == 1
        rejected = next(o for o in orders if o["status"] == "rejected")
        assert "insufficient balance" in rejected["error"]
        assert any(e["kind"] == "rejected" for e in bot.store.events_for(bot.cfg.account))
        # the rejected buy is re-sized once from the fresh free balance under a new client id (issue 12),
        # and the notification says so
        assert "rejected for insufficient balance" in res.message
        resent = [o for o in orders if o["leg"] == rejected["leg"] and o["status"] == "closed"]
        assert len(resent) == 1 and resent[0]["client_order_id"] != rejected["client_order_id"]
    placed = [o["clientOrderId"] for o in sim.control("state")["orders"]]
    assert len(placed) == len(set(placed)) == 10 and rejected["client_order_id"] not in placed


def test_interrupted_run_of_an_older_bar_is_settled_and_sends_nothing_new(tmp_path: Path, sim) -> None:
    """A run left resumable whose bar is no longer the latest: its recorded orders are settled
    with the exchange (an intent that never left is cancelled, not sent), then the latest bar
    gets its own run."""
    import datetime as dt

    cfg = write_config(tmp_path / "bot.yaml", db_url=f"sqlite:///{tmp_path / 'b.sqlite'}", sim=sim)
    sim.control("faults", [{"kind": "5xx", "target": "POST order", "times": 50, "skip": 3}])
    with open_bot(load_bot_settings(cfg), logs=False) as bot:
        first = bot.once()
        assert first.status == "failed" and bot.store.run(first.run_id)["status"] == "running"
        sim.control("faults", method="DELETE")
        bot.store.update_run(first.run_id, as_of=bot.store.run(first.run_id)["as_of"] - dt.timedelta(days=1))
        second = bot.once()
        assert second.status == "done" and second.resumed == [first.run_id] and second.run_id != first.run_id
        old = bot.store.orders_of(first.run_id)
        assert [o["status"] for o in old] == ["closed"] * 3 + ["canceled"]
        assert "unknown to the exchange" in old[3]["error"]
        assert bot.store.run(first.run_id)["status"] == "done"
        new = [o["client_order_id"] for o in bot.store.orders_of(second.run_id)]
    placed = [o["clientOrderId"] for o in sim.control("state")["orders"]]
    assert len(placed) == len(set(placed)) == 3 + len(new) and len(new) >= 6
    assert old[3]["client_order_id"] not in placed
