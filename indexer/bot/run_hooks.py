"""The bot's :class:`~indexer.execution.RebalanceHooks`: persist each step of a run, snapshot, kill switch.

:func:`indexer.execution.rebalance_once` calls them between its steps; the
:class:`~indexer.bot.rebalancer.Rebalancer` owns the store, events and notifier they use.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import pandas as pd

from indexer._typing import TargetPortfolio
from indexer.execution import guards
from indexer.execution.rebalance import RebalanceHooks

if TYPE_CHECKING:  # pragma: no cover
    from indexer.bot.rebalancer import Rebalancer
    from indexer.data.market import MarketData

__all__ = ["BotHooks"]

log = logging.getLogger("indexer.bot")


class BotHooks(RebalanceHooks):
    """:class:`~indexer.execution.RebalanceHooks` of one bot run: persist each step, snapshot, kill switch."""

    def __init__(self, reb: Rebalancer, run_id: int, now: dt.datetime) -> None:
        self.reb, self.run_id, self.now = reb, run_id, now
        self.orders = reb._recorder(run_id)
        self.risk: dict[str, float] = {}

    def before_decision(self, data: MarketData, valuation: Any) -> MarketData | None:
        """Refresh the data (live inputs) before the strategy decides."""
        return self.reb.refresh_data(data, valuation)

    def on_valuation(self, valuation: Any) -> None:
        """Snapshot the valuation, run the kill switch and report unpriced assets."""
        reb, cfg = self.reb, self.reb.cfg
        value = float(valuation.value)
        snaps = reb.store.snapshots(reb.account)["value"]
        since = reb.store.resumed_at(reb.account)
        if since is not None:  # an operator resumed: losses count from then on
            snaps = snaps[snaps.index >= pd.Timestamp(since)]
        self.risk = guards.check_kill_switch(snaps, self.now, value, cfg.risk.max_daily_loss, cfg.risk.max_drawdown)
        h = valuation.balance.holdings()
        reb.store.snapshot(reb.account, h.balances, dict(valuation.asset_prices), value, run_id=self.run_id,
                           taken_at=self.now)
        if reb.unpriced:
            held = sorted(a for a in reb.unpriced if h.balances.get(a))
            reb._event("unpriced", f"run {self.run_id}: no paper price, not traded: {reb._unpriced_text()}"
                                   + (f"; held: {', '.join(held)}" if held else ""),
                       level="warning", run_id=self.run_id, data={"unpriced": reb.unpriced, "held": held})

    def on_target(self, target: TargetPortfolio) -> None:
        """Record the target (step ``target_decided``)."""
        self.reb._step(self.run_id, "target_decided", target=target.to_dict())

    def on_plan(self, plan: Any, run_key: str) -> bool:
        """Record the plan with client order ids, turnover and risk (step ``plan_made``); always proceed."""
        reb = self.reb
        if reb.store.run(self.run_id)["step"] == "plan_made":  # resumed from the recorded plan
            return True
        out = plan.to_dict()
        for o, po in zip(out["orders"], plan.orders, strict=True):
            o["client_order_id"] = po.intent(run_key).client_order_id
        out["turnover"] = plan.turnover
        out["risk"] = self.risk
        out["unpriced"] = dict(reb.unpriced)
        reb._event("plan", f"run {self.run_id}: {len(plan.orders)} orders, turnover {plan.turnover:.2%}, "
                           f"value {float(plan.portfolio_value):,.2f} {plan.quote}", run_id=self.run_id)
        reb._step(self.run_id, "plan_made", plan=out)
        return True

    def progress(self, message: str) -> None:
        """Log progress at DEBUG."""
        log.debug(message)
