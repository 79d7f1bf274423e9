"""The walk-forward loop: ask the strategy at each decision bar, with only the data known then.

It tracks the drifted weights between trades (prices move, weights drift) so
that drift bands can trigger and the strategy gets the weights it really holds
as ``previous``; it turns each decision into a row of target percentages at the
execution bar (the next bar by default) plus the slippage of each fill.  The
money is counted afterwards by vectorbt (:mod:`indexer.backtesting.simulate`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from indexer._typing import CASH, StrategyLike, TargetPortfolio
from indexer.backtesting.costs import CostModel
from indexer.exceptions import DataError

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["Plan", "walk_forward", "Execution", "Book", "Market", "prepare_market", "drift", "decision_reason", "decide", "fill"]

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


@dataclass(frozen=True)
class Market:
    """The arrays a run reads, from its first decision bar to the end (row ``i`` is ``index[i]``).

    Attributes
    ----------
    index
        Simulation bars (UTC).
    cols
        Asset columns of the data (the order of every array's columns).
    col_pos
        Position of each asset in ``cols``.
    held_index
        ``cols`` and ``CASH``: the labels of the weights a decision is given as ``previous``.
    prices
        Close prices carried forward (NaN before an asset's first price).
    relative
        ``prices[i] / prices[i - 1]``, 1 where either is missing (row 0 is all 1).
    adv
        Average daily traded value (USD) over the cost model's impact window, known at each bar.
    scheduled
        Calendar decision bars (and the first bar).
    first
        Position of ``index[0]`` in the data (bars before it feed the lookback).
    """

    index: pd.DatetimeIndex
    cols: list[str]
    col_pos: dict[str, int]
    held_index: pd.Index
    prices: np.ndarray
    relative: np.ndarray
    adv: np.ndarray
    scheduled: np.ndarray
    first: int


@dataclass
class Book:
    """What is held between trades.

    Asset weights ``w`` (fractions of ``value``), ``cash`` (fraction), ``value`` (USD, after costs paid) and the last ``target`` weights (None before the first fill).
    """

    w: np.ndarray
    cash: float
    value: float
    target: np.ndarray | None = None


def _first_position(index: pd.DatetimeIndex, start: pd.Timestamp | None, lookback: int) -> int:
    lo = max(int(lookback) - 1, 0)
    if start is not None:
        lo = max(lo, int(index.searchsorted(start, side="left")))
    return lo


def prepare_market(
    strategy: StrategyLike, data: MarketData, start: pd.Timestamp | None, end: pd.Timestamp | None, costs: CostModel
) -> Market:
    """Return the run's :class:`Market`, from the first bar with enough history to ``end``.

    It starts at the first bar with ``strategy.lookback`` bars of history (and >= ``start``);
    ``DataError`` when no bar is left to decide on.
    """
    full = data.close
    n_all = int(full.index.searchsorted(end, side="right")) if end is not None else len(full.index)
    cut = full.iloc[:n_all]
    i0 = _first_position(cut.index, start, strategy.lookback)
    if i0 >= len(cut.index):
        raise DataError(
            f"backtest of {strategy.name}: no bar left to decide on: the strategy needs {strategy.lookback} bars "
            f"of history and the data has {len(cut.index)} up to {cut.index[-1] if len(cut) else end}"
        )
    index = cut.index[i0:]
    prices = cut.ffill().to_numpy(dtype=float)[i0:]
    n, m = prices.shape
    relative = np.ones((n, m))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = prices[1:] / prices[:-1]
    relative[1:] = np.where(np.isfinite(r), r, 1.0)
    if data.volume is not None:
        vol = data.volume.iloc[:n_all]
        adv = vol.rolling(costs.impact_window, min_periods=1).mean().to_numpy(dtype=float)[i0:]
    else:
        adv = np.full((n, m), np.nan)
    scheduled = np.zeros(n, dtype=bool)
    sched = strategy.rebalance_dates(index)
    scheduled[index.get_indexer(pd.DatetimeIndex(sched).intersection(index))] = True
    scheduled[0] = True
    cols = list(full.columns)
    return Market(index=index, cols=cols, col_pos={c: j for j, c in enumerate(cols)},
                  held_index=pd.Index([*cols, CASH]), prices=prices, relative=relative, adv=adv,
                  scheduled=scheduled, first=i0)  # fmt: skip


def drift(book: Book, relative: np.ndarray) -> Book:
    """``book`` after one bar's price moves ``relative`` (new price / old; cash earns nothing)."""
    grown = book.w * relative
    tot = grown.sum() + book.cash
    return Book(grown / tot, book.cash / tot, book.value * tot, book.target)


def decision_reason(i: int, market: Market, book: Book, drift_abs: float | None, drift_rel: float | None) -> str:
    """Why bar ``i`` decides: ``initial`` (the first bar), ``schedule``, ``drift`` (a band breached) or ``""``."""
    if i == 0:
        return "initial"
    if market.scheduled[i]:
        return "schedule"
    if book.target is None or not (drift_abs or drift_rel):
        return ""
    dev = np.abs(book.w - book.target)
    hit = drift_abs is not None and bool(np.any(dev > drift_abs + _EPS))
    if drift_rel is not None:
        on = book.target > 0
        hit = hit or bool(np.any(dev[on] > drift_rel * book.target[on] + _EPS))
    return "drift" if hit else ""


def decide(
    strategy: StrategyLike, data: MarketData, market: Market, book: Book, i: int, history: int | None
) -> TargetPortfolio:
    """Ask the strategy for its target at bar ``i``, showing it only the data known then.

    The strategy sees the last ``history`` bars when set, and the drifted weights it holds (incl. CASH,
    positive ones only).
    """
    as_of = market.index[i]
    held = np.r_[book.w, book.cash]
    keep = held > 0
    previous = pd.Series(held[keep], index=market.held_index[keep])
    if history is None:
        view = data.until(as_of)
    else:
        view = data.between(data.close.index[max(market.first + i - history + 1, 0)], as_of)
    return strategy.target(view, as_of, previous=previous)


def _target_weights(tp: TargetPortfolio, market: Market, name: str) -> np.ndarray:
    tw = np.zeros(len(market.cols))
    for a, x in zip(tp.weights.index.tolist(), tp.weights.to_numpy().tolist(), strict=True):
        if a == CASH:
            continue
        j = market.col_pos.get(a)
        if j is None:
            raise DataError(f"strategy {name} at {tp.as_of}: target names {a!r}, not in the data's assets")
        tw[j] = x
    return tw


def fill(plan: Plan, market: Market, book: Book, tp: TargetPortfolio, i: int, dec: int, reason: str,
         costs: CostModel, name: str) -> Book:  # fmt: skip
    """Trade ``book`` to ``tp`` at the close of bar ``i`` (decided at bar ``dec``).

    Writes the bar's target percentages and slippage into ``plan``, appends the decision row and
    returns the book after costs.
    """
    cols = market.cols
    tw = _target_weights(tp, market, name)
    no_price = (tw > 0) & ~np.isfinite(market.prices[i])
    tw[no_price] = 0.0  # cannot buy what has no price yet: stays in cash
    notional = np.abs(tw - book.w) * book.value
    skip = (notional > 0) & (notional < costs.min_trade_usd)
    trade = (notional > 0) & ~skip
    plan.size[i] = np.where(trade, tw, np.nan)
    slip = costs.slippage_for(notional, market.adv[dec])
    plan.slippage[i] = slip
    paid = float(np.sum(notional[trade] * (costs.fee + slip[trade])))
    traded = float(notional[trade].sum() / max(book.value, _EPS))
    new_w = np.where(trade, tw, book.w)
    total = new_w.sum()
    if total > 1.0:
        new_w = new_w / total
    plan.decisions.append(
        {
            "as_of": tp.as_of,
            "executed": market.index[i],
            "reason": reason,
            "n_assets": int((tw > 0).sum()),
            "empty_universe": str(tp.diagnostics.get("note", "")).startswith("empty universe"),
            "cash": float(1.0 - tw.sum()),
            "traded": traded,
            "skipped": [cols[j] for j in np.flatnonzero(skip)],
            "no_price": [cols[j] for j in np.flatnonzero(no_price)],
        }
    )
    return Book(new_w, max(1.0 - new_w.sum(), 0.0), max(book.value - paid, 0.0), tw)


def walk_forward(
    strategy: StrategyLike,
    data: MarketData,
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
    market = prepare_market(strategy, data, start, end, costs)
    n, m = market.prices.shape
    plan = Plan(index=market.index, size=np.full((n, m), np.nan), slippage=np.full((n, m), costs.slippage))
    book = Book(np.zeros(m), 1.0, float(init_cash))
    pending: tuple[TargetPortfolio, int, str] | None = None  # decided, to fill at the next bar
    for i in range(n):
        if i > 0 and book.target is not None:  # nothing held before the first fill: nothing drifts
            book = drift(book, market.relative[i])
        if pending is not None:
            book = fill(plan, market, book, *pending[:1], i, pending[1], pending[2], costs, strategy.name)
            pending = None
        if on_step is not None:
            on_step(i, n)
        if hold and i > 0:
            continue
        reason = decision_reason(i, market, book, drift_abs, drift_rel)
        if not reason:
            continue
        if execution == "next_close" and i == n - 1:
            break
        tp = decide(strategy, data, market, book, i, history)
        plan.targets.append(tp)
        if execution == "same_close":
            book = fill(plan, market, book, tp, i, i, reason, costs, strategy.name)
        else:
            pending = (tp, i, reason)
    return plan
