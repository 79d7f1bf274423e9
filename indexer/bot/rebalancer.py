"""One rebalance as explicit persisted steps, resumable after a crash at any point.

Steps (``bot_runs.step``, committed before the next begins)::

    started -> data_checked -> target_decided -> plan_made -> orders_submitted -> reconciled -> done

From ``data_checked`` on, a run is one call of
:func:`indexer.execution.rebalance_once` - the same function ``indexer rebalance``
calls - with the bot's :class:`~indexer.bot.run_hooks.BotHooks`: ``on_valuation`` snapshots the
account and runs the kill switch, ``before_decision`` is where fresher data is
swapped in (:meth:`Rebalancer.refresh_data`), ``on_target`` / ``on_plan``
persist the ``target_decided`` / ``plan_made`` steps, and the guards
(price sanity, order notional, turnover) and the strategy's compliance rules are
checked before any order.  Orders go through the
bot's :class:`~indexer.bot.recorder.OrderRecorder` hooks: each order is
recorded as an *intent* with its deterministic client order id before it is
sent, then its exchange answer, status and fills.  On restart an interrupted
run is resumed from its step: ``execute(..., known=recorded orders)`` looks
unfinished orders up on the exchange by client order id and sends an intent
only when the exchange does not know it, and each leg only does what its
earlier orders left, so no order is ever placed twice.  An interrupted run of
an older bar is finished safely: its recorded orders are reconciled
(:func:`indexer.execution.recovery.recover`), nothing new is sent.

Fault injection for the kill tests: :mod:`indexer.bot.crash_points`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from indexer._typing import TargetPortfolio
from indexer.bot import live_inputs
from indexer.bot.accounts import build_broker, holdings_weights, load_market_data
from indexer.bot.crash_points import CRASH_ENV, ORDER_POINTS, crash_point
from indexer.bot.database import Store
from indexer.bot.run_hooks import BotHooks
from indexer.bot.settings import BotSettings
from indexer.exceptions import ExecutionError, IndexerError, RetryableExecutionError
from indexer.execution import guards

if TYPE_CHECKING:  # pragma: no cover
    from indexer.bot.notify import Notifier
    from indexer.bot.recorder import OrderRecorder
    from indexer.data.market import MarketData
    from indexer.execution.broker import TradingBroker

__all__ = ["STEPS", "ORDER_POINTS", "RunResult", "Rebalancer", "crash_point", "CRASH_ENV"]

log = logging.getLogger("indexer.bot")
STEPS = ("started", "data_checked", "target_decided", "plan_made", "orders_submitted", "reconciled", "done")


@dataclass
class RunResult:
    """What a call to :meth:`Rebalancer.once` did."""

    status: str  # done | skipped | paused | blocked | failed | kill_switch
    message: str
    run_id: int | None = None
    as_of: pd.Timestamp | None = None
    orders: int = 0
    resumed: list[int] = field(default_factory=list)
    tracking_error: float | None = None
    value: float | None = None
    unpriced: dict[str, str] = field(default_factory=dict)  # asset -> why the paper account has no price


def _iso(x: Any) -> Any:
    return pd.Timestamp(x).isoformat() if x is not None else None


class Rebalancer:
    """Run rebalances of one account (see module docstring).

    Parameters
    ----------
    cfg
        The bot configuration.
    store
        Its state database.
    notifier
        Where run results, errors and kill-switch events go.
    live
        The ``--live`` flag (required with ``mode: live``).
    """

    def __init__(self, cfg: BotSettings, store: Store, notifier: Notifier, *, live: bool = False) -> None:
        self.cfg, self.store, self.notifier, self.live = cfg, store, notifier, live
        self.account = cfg.account
        self.extra_secrets: list[str] = []
        self._data: MarketData | None = None
        self._broker: TradingBroker | None = None
        self.unpriced: dict[str, str] = {}
        self.notes: list[str] = []  # untradeable assets, scaled or re-sized legs of the last run
        self._now: dt.datetime | None = None

    # ------------------------------------------------------------------ helpers
    def _event(self, kind: str, message: str, *, level: str = "info", run_id: int | None = None,
               data: Mapping[str, Any] | None = None) -> None:
        message = self.notifier.redactor.text(message)
        self.store.event(self.account, kind, message, level=level, run_id=run_id,
                         data=self.notifier.redactor.obj(dict(data)) if data else None)
        getattr(log, level if level in ("info", "warning", "error") else "info")(
            message, extra={"event": kind, "run_id": run_id, "account": self.account})

    def _step(self, run_id: int, step: str, **values: Any) -> None:
        self.store.update_run(run_id, step=step, **values)
        self._event("step", f"run {run_id}: {step}", run_id=run_id)
        crash_point(step)

    def data(self) -> MarketData:
        """Return the market data (loaded once per call of :meth:`once`)."""
        if self._data is None:
            data = load_market_data(self.cfg)
            if self._now is not None:  # bars dated from the clock's day on have not closed (rehearsals, --now)
                from indexer.data.market import to_utc

                closed = to_utc(self._now).floor("D") - pd.Timedelta(days=1)
                data = data.until(closed) if data.end > closed else data
            self._data = data
        return self._data

    def broker(self) -> TradingBroker:
        """Return the account's broker (paper balances rebuilt from the recorded fills).

        A paper account's assets without a recent enough close are kept in :attr:`unpriced`.
        """
        if self._broker is None:
            from indexer.execution.paper import PaperBroker

            fills = [f for o in self.store.all_orders(self.account) for f in (o["fills"] or [])]
            self._broker, secrets = build_broker(self.cfg, self.data(), fills, live=self.live)
            self.notifier.redactor.add(secrets)
            self.unpriced = dict(self._broker.unpriced) if isinstance(self._broker, PaperBroker) else {}
        return self._broker

    def valuation(self, extra: list[str] | None = None) -> tuple[Any, dict[str, Decimal], dict[str, Decimal], dict[str, float], float]:
        """Return ``(holdings, symbol prices, asset prices, weights, value)`` of the account now (quote units).

        The same valuation as :func:`indexer.execution.value_account` (``rebalance_once``).
        """
        from indexer.execution import value_account

        quote = self.cfg.exchange.quote
        v = value_account(self.broker(), quote, extra or [])
        h = v.balance.holdings()
        w, value = holdings_weights(h, v.asset_prices, quote)
        return h, dict(v.prices), dict(v.asset_prices), w, value

    # ------------------------------------------------------------------ entry
    def once(self, now: dt.datetime) -> RunResult:
        """Recover unfinished runs, then rebalance at the latest bar unless already done.

        ``RunResult.unpriced`` lists the paper account's assets left without a price (not traded).
        """
        self._data, self._broker, self.unpriced, self.notes, self._now = None, None, {}, [], now
        res = self._once(now)
        res.unpriced = dict(self.unpriced)
        return res

    def _once(self, now: dt.datetime) -> RunResult:
        paused, reason = self.store.paused(self.account)
        if paused:
            self._event("paused", f"account paused ({reason}); not trading")
            return RunResult("paused", f"account {self.account} is paused: {reason}")
        try:
            self._refresh_inputs(now)
            data = self.data()
            as_of = pd.Timestamp(data.close.index[-1])
            resumed = []
            for run in self.store.unfinished_runs(self.account):
                self._event("resume", f"resuming run {run['id']} interrupted at step {run['step']}", run_id=run["id"])
                res = self._advance(run["id"], now, fresh=pd.Timestamp(run["as_of"]) == as_of)
                resumed.append(run["id"])
                if pd.Timestamp(run["as_of"]) == as_of or self.store.run(run["id"])["status"] == "running":
                    res.resumed = resumed  # current bar handled, or an older run still in limbo: stop here
                    return res
            done = [r for r in self.store.runs_for(self.account, as_of.to_pydatetime()) if r["status"] == "done"]
            if done:
                msg = f"already rebalanced at {as_of.date()} (run {done[0]['id']})"
                self._event("skip", msg, run_id=done[0]["id"])
                return RunResult("skipped", msg, run_id=done[0]["id"], as_of=as_of, resumed=resumed)
            run_id = self.store.create_run(self.account, as_of.to_pydatetime(), self.cfg.mode)
            self._event("step", f"run {run_id}: started for bar {as_of.date()} ({self.cfg.mode})", run_id=run_id)
            crash_point("started")
            res = self._advance(run_id, now, fresh=True)
            res.resumed = resumed
            return res
        except IndexerError as exc:
            msg = self.notifier.redactor.text(f"{type(exc).__name__}: {exc}")
            self._event("error", msg, level="error")
            self.notifier.send("error", "rebalance failed", msg)
            return RunResult("failed", msg)

    # ------------------------------------------------------------------ steps
    def _advance(self, run_id: int, now: dt.datetime, *, fresh: bool) -> RunResult:
        run = self.store.run(run_id)
        as_of = pd.Timestamp(run["as_of"])
        try:
            step = run["step"]
            if not fresh and step in ("started", "data_checked", "target_decided"):
                self.store.update_run(run_id, status="failed", error="superseded by a newer bar before any order")
                self._event("abandon", f"run {run_id} of {as_of.date()} abandoned: a newer bar exists", run_id=run_id)
                return RunResult("failed", "superseded", run_id=run_id, as_of=as_of)
            if step == "started":
                age = guards.check_stale(pd.Timestamp(self.data().close.index[-1]), now, self.cfg.data.max_age_hours)
                self._check_inputs(run_id, as_of, now)
                self._step(run_id, "data_checked")
                self._event("data", f"latest bar {as_of.date()} is {age:.1f} h old", run_id=run_id)
                step = "data_checked"
            if step in ("data_checked", "target_decided", "plan_made"):
                self._rebalance(run_id, step, now, send=fresh)
                self._step(run_id, "orders_submitted")
                step = "orders_submitted"
            if step == "orders_submitted":
                self._reconcile(run_id)
                self._step(run_id, "reconciled")
                step = "reconciled"
            return self._finish(run_id, now)
        except guards.KillSwitch as exc:
            self.store.set_paused(self.account, True, f"kill switch: {exc}")
            self.store.update_run(run_id, status="blocked", error=str(exc))
            self._event("kill_switch", str(exc), level="error", run_id=run_id)
            self.notifier.send("kill_switch", "kill switch: trading paused", f"{exc}\nresume with `indexer bot resume`")
            return RunResult("kill_switch", str(exc), run_id=run_id, as_of=as_of)
        except IndexerError as exc:
            msg = self.notifier.redactor.text(f"{type(exc).__name__}: {exc}")
            sent = self.store.run(run_id)["step"] not in ("started", "data_checked", "target_decided")
            if isinstance(exc, ExecutionError) and not isinstance(exc, guards.RiskLimitError) and sent:
                # orders may be out: leave the run resumable, the next start reconciles and finishes it
                self.store.update_run(run_id, error=msg)
                self._event("error", f"run {run_id} interrupted (will resume): {msg}", level="error", run_id=run_id)
                self.notifier.send("error", f"run {run_id} interrupted, will resume", msg)
                return RunResult("failed", msg, run_id=run_id, as_of=as_of)
            from indexer.strategy.freshness import StaleInputsError

            status = "blocked" if isinstance(exc, (guards.RiskLimitError, StaleInputsError)) else "failed"
            self.store.update_run(run_id, status=status, error=msg)
            self._event("error", f"run {run_id} {status}: {msg}", level="error", run_id=run_id)
            self.notifier.send("error", f"run {run_id} {status}", msg)
            return RunResult(status, msg, run_id=run_id, as_of=as_of)

    def refresh_data(self, data: MarketData, valuation: Any) -> MarketData | None:
        """Return fresher market data to decide on, or ``None`` (called just before the strategy is asked).

        The hook point of a live data refresh (the default keeps ``data``).
        """
        return None

    def _rebalance(self, run_id: int, step: str, now: dt.datetime, *, send: bool) -> None:
        """``rebalance_once`` from ``step``: decide (or reuse the recorded target / plan), plan, check, execute.

        An older bar's run (``send=False``) at ``plan_made`` sends nothing new (:meth:`_reconcile` settles it).
        """
        from indexer.bot.recorder import known_orders
        from indexer.execution import Guards, OrderPlan, rebalance_once
        from indexer.strategy import Strategy

        run = self.store.run(run_id)
        if step == "plan_made" and not send:
            return
        as_of = pd.Timestamp(run["as_of"])
        target = plan = None
        known = []
        if step == "target_decided":
            target = TargetPortfolio.from_dict(run["target"])
        elif step == "plan_made":
            plan = OrderPlan.from_dict(run["plan"])
            known = known_orders(self.store.orders_of(run_id))
        from indexer.execution.market_lists import load_market_list, save_market_list

        if self.cfg.mode == "live":  # the dated market list of universe.tradable_on (not a sandbox's)
            save_market_list(self.broker().markets(), self.cfg.exchange.id, self.cfg.exchange.quote, now)
        else:
            load_market_list(self.cfg.exchange.id, self.cfg.exchange.quote)
        strategy: Strategy | live_inputs.FreshStrategy = Strategy.from_yaml(self.cfg.strategy)
        if live_inputs.freshness_enabled(self.cfg):  # the declared fallbacks for stale inputs, recorded in the target
            strategy = live_inputs.FreshStrategy(strategy, now)
        result = rebalance_once(
            strategy, self.data().until(as_of), self.broker(), self.cfg.settings(), run_id=self._run_key(run_id),
            as_of=as_of, hooks=BotHooks(self, run_id, now), guards=Guards.from_risk(self.cfg.risk),
            target=target, plan=plan, known=known)
        self.notes = list(result.notes) + (list(result.report.adjustments) if result.report else [])
        if self.notes:
            self._event("notes", f"run {run_id}: " + "; ".join(self.notes), level="warning", run_id=run_id,
                        data={"notes": self.notes})
        if result.report is not None and result.report.interrupted:  # the exchange stayed unreachable
            raise RetryableExecutionError(result.report.interrupted)

    def _refresh_inputs(self, now: dt.datetime) -> None:
        """``data.source: live``: refresh every input the strategy declares before anything reads the data."""
        report = live_inputs.refresh(self.cfg, now)
        if report is not None:
            self._event("refresh", f"live data refreshed: {report.summary()}", level="info" if report.ok else "warning",
                        data=report.to_dict())

    def _check_inputs(self, run_id: int, as_of: pd.Timestamp, now: dt.datetime) -> None:
        """Every input's age before deciding: blocks (``StaleInputsError``) or records the declared fallbacks."""
        if not live_inputs.freshness_enabled(self.cfg):
            return
        fr = live_inputs.check(self.cfg, self.data(), now, as_of)
        level = "info" if fr.ok and not fr.fallbacks else "warning"
        self._event("freshness", f"run {run_id}: {fr.message()}", level=level, run_id=run_id, data=fr.to_dict())
        if not fr.ok:
            from indexer.strategy.freshness import StaleInputsError

            raise StaleInputsError(f"strategy {Path(self.cfg.strategy).stem}: {fr.message()}", fr)


    def _unpriced_text(self) -> str:
        """Return ``"A, B: reason; C: other reason"`` (assets grouped by reason)."""
        by_reason: dict[str, list[str]] = {}
        for a, why in sorted(self.unpriced.items()):
            by_reason.setdefault(why, []).append(a)
        return "; ".join(f"{', '.join(assets)}: {why}" for why, assets in by_reason.items())

    def _run_key(self, run_id: int) -> str:
        run = self.store.run(run_id)
        return f"{self.account}:{run_id}:{_iso(run['as_of'])}"

    def _recorder(self, run_id: int) -> OrderRecorder:
        from indexer.bot.recorder import OrderRecorder

        def event(kind: str, message: str, level: str = "info") -> None:
            self._event(kind, message, level=level, run_id=run_id)

        return OrderRecorder(self.store, run_id, event, self.notifier.redactor.text)

    def _reconcile(self, run_id: int) -> None:
        """Settle every recorded order not final yet with the exchange (open ones are cancelled)."""
        from indexer.bot.recorder import known_orders
        from indexer.execution import recover

        recover(self.broker(), known_orders(self.store.orders_of(run_id)), self._recorder(run_id), resend=False)

    def _finish(self, run_id: int, now: dt.datetime) -> RunResult:
        run = self.store.run(run_id)
        holdings, _, asset_px, weights, value = self.valuation()
        self.store.snapshot(self.account, holdings.balances, asset_px, value, run_id=run_id, taken_at=now)
        # the plan's target: what the exchange can trade (untradeable assets moved by the policy)
        target = (run["plan"] or {}).get("target_weights") or (run["target"] or {}).get("weights", {})
        idx = set(target) | set(weights)
        te = 0.5 * sum(abs(weights.get(a, 0.0) - target.get(a, 0.0)) for a in idx)
        orders = self.store.orders_of(run_id)
        self.store.update_run(run_id, status="done", step="done")
        rejected = sum(o["status"] == "rejected" for o in orders)
        msg = (f"run {run_id} done for {pd.Timestamp(run['as_of']).date()}: {len(orders)} orders "
               f"({rejected} rejected), value {value:,.2f} {self.cfg.exchange.quote}, tracking error {te:.2%}")
        if self.unpriced:
            msg += f"; no price, not traded: {', '.join(sorted(self.unpriced))}"
        if self.notes:
            msg += "; " + "; ".join(self.notes)
        fresh = ((run["target"] or {}).get("diagnostics") or {}).get("freshness")
        if fresh:
            msg += f"; inputs: {fresh['message']}"
        self._event("done", msg, run_id=run_id,
                    data={"tracking_error": te, "value": value, "unpriced": dict(self.unpriced)})
        self.notifier.send("run", f"rebalance done ({self.cfg.mode})", msg,
                           {"run_id": run_id, "orders": len(orders), "value": value, "tracking_error": te,
                            "unpriced": dict(self.unpriced), "notes": list(self.notes), "freshness": fresh})
        crash_point("done")
        return RunResult("done", msg, run_id=run_id, as_of=pd.Timestamp(run["as_of"]), orders=len(orders),
                         tracking_error=te, value=value)
