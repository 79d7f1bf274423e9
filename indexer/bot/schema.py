"""The bot's tables (SQLAlchemy Core); the Alembic migrations in ``migrations/`` create them.

* ``bot_runs``: one rebalance (account, as_of, status, step, target, plan, error).
* ``bot_orders``: one order of a run, recorded as an *intent* before it is sent
  (deterministic client order id), then its exchange id, status and fills.
* ``bot_balances``: balance snapshots (quantities, prices, value in quote units).
* ``bot_events``: what happened, in order (also the audit log of guards and kill switches).
* ``bot_accounts``: persisted per-account switches (paused, reason).
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["metadata", "runs", "orders", "balances", "events", "accounts", "VERSION_TABLE"]

#: Alembic's version table for the bot schema (named so it can share a database).
VERSION_TABLE = "bot_alembic_version"

metadata = sa.MetaData()
TS = sa.DateTime(timezone=True)

runs = sa.Table(
    "bot_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account", sa.String(64), nullable=False, index=True),
    sa.Column("as_of", TS, nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running | done | failed | blocked
    sa.Column("step", sa.String(32), nullable=False),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("target", sa.JSON, nullable=True),
    sa.Column("plan", sa.JSON, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
)

orders = sa.Table(
    "bot_orders", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("bot_runs.id"), nullable=False, index=True),
    sa.Column("leg", sa.Integer, nullable=False),
    sa.Column("client_order_id", sa.String(64), nullable=False, unique=True),
    sa.Column("exchange_order_id", sa.String(64), nullable=True),
    sa.Column("symbol", sa.String(32), nullable=False),
    sa.Column("side", sa.String(8), nullable=False),
    sa.Column("type", sa.String(8), nullable=False),
    sa.Column("amount", sa.String(40), nullable=False),  # Decimal as text
    sa.Column("price", sa.String(40), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # intent | sent | open | closed | canceled | expired | rejected
    sa.Column("filled", sa.String(40), nullable=False, server_default="0"),
    sa.Column("fills", sa.JSON, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

balances = sa.Table(
    "bot_balances", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account", sa.String(64), nullable=False, index=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("bot_runs.id"), nullable=True),
    sa.Column("taken_at", TS, nullable=False),
    sa.Column("quantities", sa.JSON, nullable=False),
    sa.Column("prices", sa.JSON, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
)

events = sa.Table(
    "bot_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account", sa.String(64), nullable=False, index=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("bot_runs.id"), nullable=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("level", sa.String(8), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("data", sa.JSON, nullable=True),
)

accounts = sa.Table(
    "bot_accounts", metadata,
    sa.Column("account", sa.String(64), primary_key=True),
    sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("updated_at", TS, nullable=False),
)
