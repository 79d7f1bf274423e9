"""indexer.execution: target portfolio -> exchange orders (see ARCHITECTURE.md and docs/execution.md).

* :class:`Broker` / :class:`TradingBroker` protocols; :class:`CcxtBroker` (any ccxt
  exchange) and :class:`PaperBroker` (simulated fills).
* :func:`plan_orders` -> :class:`OrderPlan`; :func:`execute` -> :class:`ExecutionReport`, with
  :class:`ExecutionHooks` to persist orders and :class:`KnownOrder` / :func:`recover` to resume.
* :mod:`indexer.execution.simulator`: a loopback Binance-like exchange.
"""

from __future__ import annotations

from indexer.execution.broker import Broker, TradingBroker
from indexer.execution.ccxt_broker import CcxtBroker
from indexer.execution.client_ids import client_order_id, parse_client_order_id
from indexer.execution.credentials import Credentials, load_credentials
from indexer.execution.executor import ExecutionOptions, ExecutionReport, execute
from indexer.execution.paper import PaperBroker
from indexer.execution.recovery import ExecutionHooks, KnownOrder, recover
from indexer.execution.planner import OrderPlan, PlannedOrder, SkippedTrade, plan_orders, route, symbols_to_price
from indexer.execution.settings import ExchangeSettings, load_settings

__all__ = [
    "Broker",
    "TradingBroker",
    "CcxtBroker",
    "PaperBroker",
    "Credentials",
    "load_credentials",
    "ExchangeSettings",
    "load_settings",
    "OrderPlan",
    "PlannedOrder",
    "SkippedTrade",
    "plan_orders",
    "route",
    "symbols_to_price",
    "client_order_id",
    "parse_client_order_id",
    "ExecutionHooks",
    "KnownOrder",
    "recover",
    "ExecutionOptions",
    "ExecutionReport",
    "execute",
]
