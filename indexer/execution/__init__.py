"""indexer.execution: target portfolio -> exchange orders (see ARCHITECTURE.md and docs/execution.md).

* :class:`Broker` / :class:`TradingBroker` protocols; :class:`CcxtBroker` (any ccxt
  exchange) and :class:`PaperBroker` (simulated fills).
* :func:`plan_orders` -> :class:`OrderPlan`; :func:`execute` -> :class:`ExecutionReport`, with
  :class:`ExecutionHooks` to persist orders and :class:`KnownOrder` / :func:`recover` to resume.
* :func:`rebalance_once`: the one live rebalance (value, decide, check, plan, execute) used by
  ``indexer rebalance`` and the bot, with :class:`RebalanceHooks`, :class:`Guards` and a
  :class:`DecisionLog` (one decision per bar).
* :func:`apply_untradeable` / :func:`spread_within_caps`: target assets the exchange cannot trade,
  their weight spread within the strategy's caps (:mod:`indexer.execution.untradeable`).
* :class:`RebalanceSettings`: exchange, paper, execution and risk settings (one model for the CLI
  flags, the ``--config`` file and the bot config).
* Frozen boundary types: :class:`Market`, :class:`AccountBalance`, :class:`OrderState`, :class:`OrderBook`.
* :mod:`indexer.sim`: a loopback Binance-like exchange.
"""

from __future__ import annotations

from indexer.execution.broker import Broker, TradingBroker
from indexer.execution.ccxt_broker import CcxtBroker
from indexer.execution.client_ids import client_order_id, parse_client_order_id
from indexer.execution.credentials import Credentials, load_credentials
from indexer.execution.decisions import DecisionLog
from indexer.execution.executor import ExecutionReport, ExecutorSettings, execute
from indexer.execution.guards import Guards
from indexer.execution.paper import PaperBroker
from indexer.execution.planner import (
                                       OrderPlan,
                                       PlannedOrder,
                                       SkippedTrade,
                                       Untradeable,
                                       apply_untradeable,
                                       plan_orders,
                                       route,
                                       symbols_to_price,
)
from indexer.execution.rebalance import RebalanceHooks, RebalanceResult, Valuation, rebalance_once, value_account
from indexer.execution.recovery import ExecutionHooks, KnownOrder, recover
from indexer.execution.settings import (
                                       ExchangeSettings,
                                       ExecutionSettings,
                                       PaperSettings,
                                       RebalanceSettings,
                                       RiskSettings,
                                       load_settings,
)
from indexer.execution.types import AccountBalance, Balance, BookLevel, Market, OrderBook, OrderState
from indexer.execution.untradeable import spread_within_caps

__all__ = [
    "Broker",
    "TradingBroker",
    "CcxtBroker",
    "PaperBroker",
    "Credentials",
    "load_credentials",
    "ExchangeSettings",
    "ExecutionSettings",
    "PaperSettings",
    "RiskSettings",
    "RebalanceSettings",
    "load_settings",
    "Guards",
    "RebalanceHooks",
    "RebalanceResult",
    "Valuation",
    "rebalance_once",
    "value_account",
    "Untradeable",
    "apply_untradeable",
    "spread_within_caps",
    "DecisionLog",
    "Market",
    "Balance",
    "AccountBalance",
    "BookLevel",
    "OrderBook",
    "OrderState",
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
    "ExecutorSettings",
    "ExecutionReport",
    "execute",
]
