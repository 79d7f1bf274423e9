"""One live rebalance: :func:`rebalance_once`, the function ``indexer rebalance`` and the bot both call.

Steps, in this order (nothing is sent before the last one)::

    cancel our stale orders -> value the account -> guards (stale data) -> hooks.before_decision
    -> strategy.target -> hooks.on_target -> plan (untradeable policy, free-balance budget, cash buffer)
    -> guards (price sanity, order notional, turnover) -> compliance -> hooks.on_plan -> execute

* The account is valued once, from the broker's free / locked / total balances.
* Our own resting orders left by an interrupted run (client ids ``ix-...`` of
  another run) are cancelled before valuation, so their locked funds come back;
  :attr:`RebalanceResult.cancelled` lists them.  Other orders (the user's) are
  left alone and their locked funds are not spent.
* The strategy's compliance rules (``compliance:`` in the strategy file) are
  checked on the plan's expected weights before any order, on both paths.
* :class:`RebalanceHooks` let a caller act between the steps: the bot persists
  each step, refreshes its data in ``before_decision`` and runs its kill switch
  in ``on_valuation``; the CLI prints the plan and asks for confirmation in
  ``on_plan`` (returning ``False`` stops before any order).
* A caller resuming an interrupted run passes the ``target`` or ``plan`` it had
  recorded (and the ``known`` orders): the earlier steps are skipped, the
  compliance check is not.
* With ``decisions`` (:class:`~indexer.execution.decisions.DecisionLog`) a
  decision is recorded before its orders are sent, and a rerun for the same
  strategy, account and bar trades to that recorded target instead of asking
  the strategy again from the book the first run left (one decision per bar,
  as the bot does).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from indexer._typing import CASH, TargetPortfolio, WeightCaps
from indexer.exceptions import ExecutionError
from indexer.execution.broker import TradingBroker
from indexer.execution.decisions import DecisionLog
from indexer.execution.executor import ExecutionReport, check_compliance, execute
from indexer.execution.guards import Guards
from indexer.execution.planner import OrderPlan, plan_orders, route
from indexer.execution.recovery import ExecutionHooks, KnownOrder
from indexer.execution.settings import RebalanceSettings
from indexer.execution.types import AccountBalance, OrderState

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["Valuation", "RebalanceHooks", "RebalanceResult", "rebalance_once", "value_account",
           "strategy_compliance", "strategy_caps", "cancel_stale_orders"]

log = logging.getLogger(__name__)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Valuation:
    """The account at one moment.

    Balances, prices (per market symbol and per asset, quote units), weights (fractions, quote
    as ``CASH``) and total value (quote units, free + locked).
    """

    balance: AccountBalance
    prices: Mapping[str, Decimal]
    asset_prices: Mapping[str, Decimal]
    weights: pd.Series
    value: Decimal
    unpriced: tuple[str, ...] = ()


def value_account(broker: TradingBroker, quote: str, extra: Iterable[str] = (),
                  intermediates: Iterable[str] = ("BTC", "ETH"), *, balance: AccountBalance | None = None) -> Valuation:
    """Value ``broker``'s account in ``quote``; ``extra`` assets (e.g. the target's) are priced too.

    ``balance`` reuses balances already read (only prices are fetched then).  Held currencies
    without a market are left out of the value and listed in ``unpriced``.
    """
    bal = broker.fetch_balance() if balance is None else balance
    markets = broker.markets()
    inter = tuple(intermediates)
    routes, unpriced = {}, []
    for a in sorted(set(bal.balances) | set(extra)):
        if a in (quote, CASH):
            continue
        try:
            routes[a] = route(a, markets, quote, inter)
        except ExecutionError:
            if a in bal.balances:
                unpriced.append(a)
    syms = sorted({s for s, _ in routes.values()} | {f"{x}/{quote}" for _, x in routes.values() if x})
    px = {s: Decimal(str(v)) for s, v in broker.fetch_prices(syms).items()} if syms else {}
    asset_px = {a: px[s] * (px[f"{x}/{quote}"] if x else 1) for a, (s, x) in routes.items()}
    values = {CASH: bal.total(quote)}
    for a in bal.balances:
        if a in asset_px:
            values[a] = bal.total(a) * asset_px[a]
    total = sum(values.values(), ZERO)
    weights = pd.Series({a: float(v / total) for a, v in values.items() if v}, dtype="float64") if total > 0 \
        else pd.Series(dtype="float64")
    return Valuation(bal, px, asset_px, weights, total, tuple(unpriced))


def strategy_compliance(strategy: Any, data: MarketData) -> Callable[[pd.Series], Any] | None:
    """Return the strategy's compliance check (``compliance:`` in its file) as a weights -> violations callable."""
    spec = getattr(getattr(strategy, "spec", None), "compliance", None)
    if spec is None:
        return None
    from indexer.universe.compliance import check_weights

    return lambda w: check_weights(w, spec.profile, spec.rules, data.assets)


def strategy_caps(strategy: Any, data: MarketData) -> WeightCaps | None:
    """Return the strategy's weight caps (``weight_caps(registry)``), which the untradeable policy respects.

    None for a strategy without the method.
    """
    caps = getattr(strategy, "weight_caps", None)
    return caps(data.assets) if callable(caps) else None


def cancel_stale_orders(broker: TradingBroker, keep_prefix: str | None = None) -> list[OrderState]:
    """Cancel our own open orders (client ids ``ix-...``) except those whose id starts with ``keep_prefix``."""
    out = []
    for o in broker.open_orders(None):
        cid = o.client_order_id or ""
        if cid.startswith("ix-") and not (keep_prefix and cid.startswith(keep_prefix)):
            broker.cancel(o.id, o.symbol)
            log.warning("cancelled our order %s (%s %s %s) left open by an earlier run", cid, o.side, o.amount, o.symbol)
            out.append(o)
    return out


class RebalanceHooks:
    """Callbacks of :func:`rebalance_once` between its steps (no-ops here; override what you need).

    ``orders`` are the :class:`~indexer.execution.recovery.ExecutionHooks`
    told about every order.  An exception raised by a hook stops the rebalance
    where it is (before any order when raised before ``on_plan`` returns).
    """

    orders: ExecutionHooks = ExecutionHooks()

    def before_decision(self, data: MarketData, valuation: Valuation) -> MarketData | None:
        """Just before the strategy is asked: return fresher data to decide on (e.g. a live refresh), or None."""
        return None

    def on_valuation(self, valuation: Valuation) -> None:
        """Handle the account's valuation (the bot snapshots it and runs its kill switch here)."""

    def on_target(self, target: TargetPortfolio) -> None:
        """Handle the strategy's answer."""

    def on_plan(self, plan: OrderPlan, run_id: str) -> bool:
        """Approve the plan (it passed the guards and the compliance check); ``False`` stops before any order."""
        return True

    def progress(self, message: str) -> None:
        """Progress of the execution (one line per leg)."""


@dataclass(frozen=True)
class RebalanceResult:
    """What :func:`rebalance_once` did.

    ``status``: ``executed`` (orders were worked), ``nothing_to_do`` (the plan
    has no order) or ``stopped`` (``hooks.on_plan`` declined).
    """

    status: str
    run_id: str
    plan: OrderPlan
    target: TargetPortfolio | None = None
    report: ExecutionReport | None = None
    valuation: Valuation | None = None
    cancelled: tuple[OrderState, ...] = ()
    data_age_hours: float | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def tracking_error(self) -> float:
        """After trading when executed, else the plan's expected (fraction of value)."""
        return self.report.tracking_error if self.report is not None else self.plan.tracking_error

    @property
    def orders_sent(self) -> int:
        """Orders the exchange accepted in this call."""
        return len(self.report.orders) if self.report is not None else 0

    @property
    def orders_rejected(self) -> int:
        """Orders the exchange refused in this call."""
        return self.report.rejected if self.report is not None else 0

    @property
    def ok(self) -> bool:
        """Nothing failed (no rejected leg, no interruption, balances reconcile)."""
        return self.report is None or self.report.ok


def rebalance_once(
    strategy: Any,
    data: MarketData,
    broker: TradingBroker,
    settings: RebalanceSettings,
    *,
    run_id: str | Callable[[OrderPlan], str],
    as_of: pd.Timestamp | None = None,
    now: dt.datetime | None = None,
    hooks: RebalanceHooks | None = None,
    guards: Guards | None = None,
    compliance: Callable[[pd.Series], Any] | Literal["strategy"] | None = "strategy",
    target: TargetPortfolio | None = None,
    plan: OrderPlan | None = None,
    known: Iterable[KnownOrder] = (),
    decisions: DecisionLog | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RebalanceResult:
    """Rebalance ``broker``'s account to ``strategy``'s target at ``as_of`` (see module docstring).

    Parameters
    ----------
    strategy
        Anything with ``target(data, as_of, previous=...) -> TargetPortfolio``
        (and optionally ``spec.compliance``).
    data
        Market data; the strategy sees it as of ``as_of`` (default: its last bar).
    settings
        Exchange (quote, untradeable policy), execution (cash buffer, drift
        threshold, order handling) settings.
    run_id
        Run id for client order ids, or a function of the plan giving it.
    now
        Clock time for the stale-data guard (UTC; ``None``: not checked).
    guards
        Limits checked before any order (default: none).
    compliance
        ``"strategy"`` (the strategy's own rules), a weights -> violations
        callable, or ``None``.
    target, plan, known
        Resume an interrupted run from its recorded target or plan and orders.
    decisions
        Where decisions acted on are recorded: a decision already acted on
        for this strategy, account and bar is reused instead of asking the
        strategy again (see :mod:`indexer.execution.decisions`); None: always ask.

    Raises
    ------
    ComplianceError, RiskLimitError, StaleDataError, ExecutionError
        Before any order is sent (an :class:`ExecutionError` while executing
        is reported in ``report.errors`` instead, unless retries ran out).
    """
    hooks = hooks or RebalanceHooks()
    guards = guards or Guards()
    known = list(known)
    quote, ex, ep = settings.quote, settings.exchange, settings.execution
    as_of = pd.Timestamp(data.close.index[-1]) if as_of is None else pd.Timestamp(as_of)
    check = strategy_compliance(strategy, data) if isinstance(compliance, str) else compliance
    cancelled: list[OrderState] = []
    valuation, age, reused = None, None, None
    if plan is None:
        age = guards.before_decision(pd.Timestamp(data.close.index[-1]), now)
        cancelled = cancel_stale_orders(broker, None if not isinstance(run_id, str) else _prefix(run_id))
        valuation = value_account(broker, quote)
        hooks.on_valuation(valuation)
        if target is None and decisions is not None:
            reused = decisions.load(strategy, as_of)
            if reused is not None:
                target = reused.target
                hooks.on_target(target)
        if target is None:
            fresh = hooks.before_decision(data, valuation)
            if fresh is not None:
                data, as_of = fresh, pd.Timestamp(fresh.close.index[-1])
                check = strategy_compliance(strategy, data) if isinstance(compliance, str) else check
            previous = valuation.weights if len(valuation.weights) else None
            target = strategy.target(data, as_of, previous=previous)
            hooks.on_target(target)
        wanted = [a for a, w in target.invested.items() if w > 0]
        valuation = value_account(broker, quote, wanted, balance=valuation.balance)  # balances read once
        from indexer.execution.market_info import last_prices

        guards.on_prices({a: float(v) for a, v in valuation.asset_prices.items()}, last_prices(data, target.as_of))
        plan = plan_orders(target, valuation.balance, valuation.prices, broker.markets(), quote=quote,
                           drift_threshold=ep.drift_threshold, cash_buffer=ep.cash_buffer,
                           amount_to_precision=broker.amount_to_precision, untradeable=ex.untradeable,
                           caps=strategy_caps(strategy, data))
        guards.on_plan(plan)
    rid = run_id if isinstance(run_id, str) else run_id(plan)
    if check is not None:  # before any order, whatever the path
        check_compliance(plan, check)
    notes = ((reused.note,) if reused else ()) + tuple(plan.notes) + tuple(
        f"cancelled our order {o.client_order_id} ({o.side} {o.amount} {o.symbol}) left open by an earlier run"
        for o in cancelled)
    common = dict(run_id=rid, plan=plan, target=target, valuation=valuation, cancelled=tuple(cancelled),
                  data_age_hours=age, notes=notes)
    if not hooks.on_plan(plan, rid):
        return RebalanceResult("stopped", **common)  # type: ignore[arg-type]
    if not plan.orders and not known:
        return RebalanceResult("nothing_to_do", **common)  # type: ignore[arg-type]
    if decisions is not None and target is not None and reused is None:  # acted on: one decision per bar
        decisions.save(strategy, target, rid, as_of=as_of)
    report = execute(plan, broker, rid, options=ep.executor_settings(), compliance=None, progress=hooks.progress,
                     sleep=sleep, hooks=hooks.orders, known=known)
    return RebalanceResult("executed", report=report, **common)  # type: ignore[arg-type]


def _prefix(run_id: str) -> str:
    from indexer.execution.client_ids import client_order_id

    return client_order_id(run_id, 0).rsplit("-", 2)[0] + "-"

