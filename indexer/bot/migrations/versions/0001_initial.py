"""Initial bot schema: runs, orders, balance snapshots, events, account switches.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the bot tables."""
    op.create_table(
        "bot_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(64), nullable=False, index=True),
        sa.Column("as_of", TS, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("target", sa.JSON, nullable=True),
        sa.Column("plan", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_table(
        "bot_orders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("bot_runs.id"), nullable=False, index=True),
        sa.Column("leg", sa.Integer, nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=False, unique=True),
        sa.Column("exchange_order_id", sa.String(64), nullable=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("amount", sa.String(40), nullable=False),
        sa.Column("price", sa.String(40), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filled", sa.String(40), nullable=False, server_default="0"),
        sa.Column("fills", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "bot_balances",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(64), nullable=False, index=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("bot_runs.id"), nullable=True),
        sa.Column("taken_at", TS, nullable=False),
        sa.Column("quantities", sa.JSON, nullable=False),
        sa.Column("prices", sa.JSON, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
    )
    op.create_table(
        "bot_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(64), nullable=False, index=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("bot_runs.id"), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=True),
    )
    op.create_table(
        "bot_accounts",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    """Drop the bot tables."""
    for name in ("bot_accounts", "bot_events", "bot_balances", "bot_orders", "bot_runs"):
        op.drop_table(name)
