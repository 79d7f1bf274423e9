"""State store on SQLite and PostgreSQL: migrations, runs, orders, snapshots, events, pause."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from botkit import unique_account

from indexer.bot.database import HEAD, Store, migrate
from indexer.bot.schema import VERSION_TABLE

UTC = dt.UTC


def test_migrations_create_the_versioned_schema(db_url: str) -> None:
    store = Store(db_url)
    assert store.revision == HEAD
    names = set(sa.inspect(store.engine).get_table_names())
    assert {"bot_runs", "bot_orders", "bot_balances", "bot_events", "bot_accounts", VERSION_TABLE} <= names
    assert migrate(store.engine) == HEAD  # idempotent
    store.close()


def test_migrations_upgrade_an_empty_sqlite_file(tmp_path) -> None:
    eng = sa.create_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    assert migrate(eng, "0001") == "0001"
    with eng.connect() as c:
        assert c.execute(sa.text(f"select version_num from {VERSION_TABLE}")).scalar() == "0001"
    eng.dispose()


def test_run_order_lifecycle_and_switches(db_url: str) -> None:
    store, acct = Store(db_url), unique_account()
    as_of = dt.datetime(2025, 10, 24, tzinfo=UTC)
    rid = store.create_run(acct, as_of, "paper")
    assert store.unfinished_runs(acct)[0]["id"] == rid
    store.update_run(rid, step="plan_made", plan={"orders": [{"leg": 0}]})
    cid = f"ix-{acct}-0-0"
    store.record_intent(rid, 0, cid, "BTC/USDT", "buy", "market", "0.01", "100000")
    store.record_intent(rid, 0, cid, "BTC/USDT", "buy", "market", "0.01", "100000")  # repeat: no-op
    assert [o["status"] for o in store.open_orders(acct)] == ["intent"]
    store.update_order(cid, status="closed", exchange_order_id="7", filled="0.01",
                       fills=[{"symbol": "BTC/USDT", "side": "buy", "amount": "0.01", "price": "100000"}])
    (order,) = store.orders_of(rid)
    assert order["status"] == "closed" and order["fills"][0]["price"] == "100000"
    assert store.open_orders(acct) == []
    store.snapshot(acct, {"USDT": "5"}, {"BTC": 1.0}, 5.0, run_id=rid, taken_at=as_of)
    store.snapshot(acct, {"USDT": "6"}, {"BTC": 1.0}, 6.0, run_id=rid, taken_at=as_of + dt.timedelta(days=1))
    snaps = store.snapshots(acct)
    assert list(snaps["value"]) == [5.0, 6.0] and str(snaps.index.tz) == "UTC"
    assert store.last_snapshot(acct)["value"] == 6.0
    store.update_run(rid, status="done", step="done")
    assert store.unfinished_runs(acct) == []
    assert store.runs_for(acct, as_of)[0]["as_of"] == as_of
    assert store.paused(acct) == (False, None)
    store.set_paused(acct, True, "maintenance")
    assert store.paused(acct) == (True, "maintenance")
    store.set_paused(acct, False)
    assert store.paused(acct) == (False, None)
    store.event(acct, "note", "hello", data={"x": 1})
    assert store.events_for(acct)[0]["data"] == {"x": 1}
    store.close()


def test_bad_url_is_a_config_error() -> None:
    from indexer.exceptions import ConfigError

    with pytest.raises(ConfigError, match="database url"):
        Store("nosuchdialect://x")


def test_migrations_match_the_table_definitions(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from indexer.bot.schema import metadata

    store = Store(db_url)
    with store.engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"version_table": VERSION_TABLE}), metadata)
    store.close()
    assert diff == []
