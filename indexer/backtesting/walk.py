"""The walk-forward loop: ask the strategy at each decision bar, with only the data known then.

It tracks the drifted weights between trades (prices move, weights drift) so
that drift bands can trigger and the strategy gets the weights it really holds
as ``previous``; it turns each decision into a row of target percentages at the
execution bar (the next bar by default) plus the slippage of each fill.  The
money is counted afterwards by vectorbt (:mod:`indexer.backtesting.simulate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal

import numpy as np
import pandas as pd

from indexer._typing import CASH, StrategyLike, TargetPortfolio
from indexer.backtesting.costs import CostModel
from indexer.exceptions import DataError

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["Plan", "walk_forward", "Execution"]

Execution = Literal["next_close", "same_close"]
_EPS = 1e-12


@dataclass
class Plan:
    """Orders and decisions of one walk-forward run (positions refer to ``index``).

    Attributes
    ----------
    index
        Simulation bars (UTC), from the first decision to the end.
    size
        Target percentages (bars x assets), NaN where no order is placed.
    slippage
        Slippage fraction of each fill (bars x assets).
    targets
        The strategy's answers in decision order.
    decisions
        One row per decision: ``as_of``, ``executed`` (bar of the fills), ``reason``
        (``initial``, ``schedule`` or ``drift``), ``skipped`` (trades under the minimum notional).
    """

    index: pd.DatetimeIndex
    size: np.ndarray
    slippage: np.ndarray
    targets: list[TargetPortfolio] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)


def _first_position(index: pd.DatetimeIndex, start: pd.Timestamp | None, lookback: int) -> int:
    lo = max(int(lookback) - 1, 0)
    if start is not None:
        lo = max(lo, int(index.searchsorted(start, side="left")))
    return lo


def walk_forward(
    strategy: StrategyLike,
    data: "MarketData",
    *,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    costs: CostModel,
    init_cash: float,
    execution: Execution = "next_close",
    drift_abs: float | None = None,
    drift_rel: float | None = None,
    hold: bool = False,
    history: int | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> Plan:
    """Run the decision loop; see :func:`indexer.backtesting.backtest` for the parameters.

    ``hold=True`` decides only once (buy and hold).  The first bar of the period
    always decides (the initial investment); later decisions come from
    ``strategy.rebalance_dates`` and, when set, the drift bands.  ``history``
    (bars) trims what the strategy is shown to the last ``history`` bars up to
    the decision (``None``: everything since the data's start).
    """
    if history is not None and history < max(int(strategy.lookback), 1):
        raise DataError(
            f"backtest of {strategy.name}: history={history} bars is shorter than the strategy's lookback "
            f"({strategy.lookback} bars)"
        )
    full = data.close
    cut = full.loc[:end] if end is not None else full
    i0 = _first_position(cut.index, start, strategy.lookback)
    if i0 >= len(cut.index):
        raise DataError(
            f"backtest of {strategy.name}: no bar left to decide on: the strategy needs {strategy.lookback} bars "
            f"of history and the data has {len(cut.index)} up to {cut.index[-1] if len(cut) else end}"
        )
    index = cut.index[i0:]
    cols = list(full.columns)
    prices = cut.ffill().to_numpy(dtype=float)[i0:]
    n, m = prices.shape
    if data.volume is not None:
        vol = data.volume.loc[: index[-1]]
        adv = vol.rolling(costs.impact_window, min_periods=1).mean().to_numpy(dtype=float)[i0:]
    else:
        adv = np.full((n, m), np.nan)
    scheduled = np.zeros(n, dtype=bool)
    sched = strategy.rebalance_dates(index)
    scheduled[index.get_indexer(pd.DatetimeIndex(sched).intersection(index))] = True
    scheduled[0] = True

    plan = Plan(index=index, size=np.full((n, m), np.nan), slippage=np.full((n, m), costs.slippage))
    w = np.zeros(m)  # asset weights held (fractions of value)
    cash = 1.0
    value = float(init_cash)
    target: np.ndarray | None = None
    pending: tuple[TargetPortfolio, int, str] | None = None
    col_pos = {c: j for j, c in enumerate(cols)}

    def execute(tp: TargetPortfolio, i: int, dec: int, reason: str) -> None:
        nonlocal w, cash, value, target
        tw = np.zeros(m)
        for a, x in tp.weights.items():
            if a == CASH:
                continue
            j = col_pos.get(a)
            if j is None:
                raise DataError(f"strategy {strategy.name} at {tp.as_of}: target names {a!r}, not in the data's assets")
            tw[j] = x
        no_price = (tw > 0) & ~np.isfinite(prices[i])
        tw[no_price] = 0.0  # cannot buy what has no price yet: stays in cash
        notional = np.abs(tw - w) * value
        skip = (notional > 0) & (notional < costs.min_trade_usd)
        trade = (notional > 0) & ~skip
        row = np.where(trade, tw, np.nan)
        plan.size[i] = row
        slip = costs.slippage_for(notional, adv[dec])
        plan.slippage[i] = slip
        paid = float(np.sum(notional[trade] * (costs.fee + slip[trade])))
        traded = float(notional[trade].sum() / max(value, _EPS))
        new_w = np.where(trade, tw, w)
        total = new_w.sum()
        value = max(value - paid, 0.0)
        if total > 1.0:
            new_w = new_w / total
        w, cash = new_w, max(1.0 - new_w.sum(), 0.0)
        target = tw
        plan.decisions.append(
            {
                "as_of": tp.as_of,
                "executed": index[i],
                "reason": reason,
                "n_assets": int((tw > 0).sum()),
                "empty_universe": str(tp.diagnostics.get("note", "")).startswith("empty universe"),
                "cash": float(1.0 - tw.sum()),
                "traded": traded,
                "skipped": [cols[j] for j in np.flatnonzero(skip)],
                "no_price": [cols[j] for j in np.flatnonzero(no_price)],
            }
        )

    for i in range(n):
        if i > 0:
            held = w > 0
            rel = np.ones(m)
            if held.any():
                r = prices[i, held] / prices[i - 1, held]
                rel[held] = np.where(np.isfinite(r), r, 1.0)
            grown = w * rel
            tot = grown.sum() + cash
            w, cash, value = grown / tot, cash / tot, value * tot
        if pending is not None:
            execute(*pending[:1], i, pending[1], pending[2])
            pending = None
        if on_step is not None:
            on_step(i, n)
        if hold and i > 0:
            continue
        reason = "initial" if i == 0 else ("schedule" if scheduled[i] else "")
        if not reason and target is not None and (drift_abs or drift_rel):
            dev = np.abs(w - target)
            hit = drift_abs is not None and bool(np.any(dev > drift_abs + _EPS))
            if drift_rel is not None:
                on = target > 0
                hit = hit or bool(np.any(dev[on] > drift_rel * target[on] + _EPS))
            reason = "drift" if hit else ""
        if not reason:
            continue
        if execution == "next_close" and i == n - 1:
            break
        as_of = index[i]
        previous = pd.Series(np.r_[w, cash], index=[*cols, CASH])
        previous = previous[previous > 0]
        if history is None:
            view = data.until(as_of)
        else:
            view = data.between(cut.index[max(i0 + i - history + 1, 0)], as_of)
        tp = strategy.target(view, as_of, previous=previous)
        plan.targets.append(tp)
        if execution == "same_close":
            execute(tp, i, i, reason)
        else:
            pending = (tp, i, reason)
    return plan
