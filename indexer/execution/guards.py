"""Risk limits and guards checked before any order, on both live paths (``indexer rebalance`` and the bot).

:class:`Guards` bundles what :func:`~indexer.execution.rebalance.rebalance_once`
checks: the stale-data age limit, price sanity against the data's last close,
the largest order and the turnover of a plan (limits from
:class:`~indexer.execution.settings.RiskSettings`; ``None`` switches one off).
The kill switch needs the account's value history, which the bot keeps; it
runs from the bot's :class:`~indexer.execution.rebalance.RebalanceHooks`.

Each guard raises with a message naming the limit, the value and the asset or
order at fault: :class:`~indexer.exceptions.StaleDataError` for old data,
:class:`RiskLimitError` for an order or plan over a limit, :class:`KillSwitch`
when the daily loss or drawdown from the balance snapshots is too large (the
bot then pauses the account until ``indexer bot resume``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from indexer.exceptions import ExecutionError, StaleDataError

__all__ = [
    "RiskLimitError",
    "KillSwitch",
    "check_stale",
    "check_prices",
    "check_orders",
    "check_turnover",
    "check_kill_switch",
    "Guards",
]


class RiskLimitError(ExecutionError):
    """An order or a plan breaks a risk limit."""


class KillSwitch(ExecutionError):
    """Losses crossed the daily-loss or drawdown limit: trading stops until resumed."""


def check_stale(last_bar: pd.Timestamp, now: dt.datetime, max_age_hours: float) -> float:
    """Age of the latest bar in hours; :class:`StaleDataError` when older than ``max_age_hours``.

    A daily bar labelled day D closes at D + 1 day, so its age counts from then.
    """
    closed = pd.Timestamp(last_bar).tz_convert("UTC") + pd.Timedelta(days=1)
    age = (pd.Timestamp(now).tz_convert("UTC") - closed).total_seconds() / 3600.0
    if age > max_age_hours:
        raise StaleDataError(
            f"latest bar {pd.Timestamp(last_bar).date()} closed {age:.1f} h ago, more than the allowed "
            f"data.max_age_hours={max_age_hours:g}; not trading on stale data")
    return age


def check_prices(exchange: Mapping[str, float], last_close: Mapping[str, float], max_deviation: float) -> dict[str, float]:
    """Relative deviation of exchange prices from the last closes (both in USD-like quote units).

    Raises :class:`RiskLimitError` naming every asset off by more than ``max_deviation`` (fraction).
    """
    dev, bad = {}, []
    for asset, px in exchange.items():
        ref = last_close.get(asset)
        if not ref or not px:
            continue
        d = float(px) / float(ref) - 1.0
        dev[asset] = d
        if abs(d) > max_deviation:
            bad.append(f"{asset} {float(px):.6g} vs last close {float(ref):.6g} ({d:+.1%})")
    if bad:
        raise RiskLimitError(f"price sanity (risk.max_price_deviation={max_deviation:g}): " + "; ".join(bad))
    return dev


def check_orders(orders: Iterable[Any], max_notional: float) -> None:
    """:class:`RiskLimitError` for any planned order worth more than ``max_notional`` (quote units)."""
    bad = [f"leg {o.leg} {o.side} {o.symbol} worth {float(o.value):,.2f}" for o in orders
           if float(o.value) > max_notional]
    if bad:
        raise RiskLimitError(f"order notional over risk.max_order_notional={max_notional:,.2f}: " + "; ".join(bad))


def check_turnover(turnover: float, max_turnover: float) -> None:
    """:class:`RiskLimitError` when the plan's turnover (fraction of value) is over the limit."""
    if turnover > max_turnover + 1e-12:
        raise RiskLimitError(f"plan turnover {turnover:.2%} over risk.max_turnover={max_turnover:.2%}")


def check_kill_switch(values: pd.Series, now: dt.datetime, current: float | Decimal,
                      max_daily_loss: float | None, max_drawdown: float | None) -> dict[str, float]:
    """Daily loss and drawdown of ``current`` against the balance snapshots ``values`` (quote units).

    The daily loss compares with the newest snapshot at least 24 h old (else the
    oldest one); the drawdown with the peak.  Raises :class:`KillSwitch`.
    """
    cur = float(current)
    if values.empty or cur <= 0:
        return {"daily_loss": 0.0, "drawdown": 0.0}
    now_ts = pd.Timestamp(now).tz_convert("UTC")
    older = values[values.index <= now_ts - pd.Timedelta(hours=24)]
    ref = float(older.iloc[-1]) if len(older) else float(values.iloc[0])
    peak = max(float(values.max()), cur)
    out = {"daily_loss": max(0.0, 1.0 - cur / ref) if ref > 0 else 0.0,
           "drawdown": max(0.0, 1.0 - cur / peak) if peak > 0 else 0.0}
    if max_daily_loss is not None and out["daily_loss"] > max_daily_loss:
        raise KillSwitch(f"daily loss {out['daily_loss']:.2%} over risk.max_daily_loss={max_daily_loss:.2%} "
                         f"(value {cur:,.2f} vs {ref:,.2f})")
    if max_drawdown is not None and out["drawdown"] > max_drawdown:
        raise KillSwitch(f"drawdown {out['drawdown']:.2%} over risk.max_drawdown={max_drawdown:.2%} "
                         f"(value {cur:,.2f} vs peak {peak:,.2f})")
    return out


@dataclass(frozen=True)
class Guards:
    """The guards :func:`~indexer.execution.rebalance.rebalance_once` applies (``None``: off).

    Parameters
    ----------
    max_data_age_hours
        Stale-data limit: age of the latest bar's close at ``now`` (hours).
    max_price_deviation
        Exchange price vs the data's last close (fraction).
    max_order_notional
        Largest planned order (quote units).
    max_turnover
        Plan turnover limit (fraction of value).
    """

    max_data_age_hours: float | None = None
    max_price_deviation: float | None = None
    max_order_notional: float | None = None
    max_turnover: float | None = None

    @classmethod
    def from_risk(cls, risk: Any, max_data_age_hours: float | None = None) -> Guards:
        """From :class:`~indexer.execution.settings.RiskSettings` (and a data age limit)."""
        return cls(max_data_age_hours, risk.max_price_deviation, risk.max_order_notional, risk.max_turnover)

    def before_decision(self, last_bar: pd.Timestamp, now: dt.datetime | None) -> float | None:
        """Stale-data check; the latest bar's age in hours (``None`` when off)."""
        if self.max_data_age_hours is None or now is None:
            return None
        return check_stale(last_bar, now, self.max_data_age_hours)

    def on_prices(self, exchange: Mapping[str, float], last_close: Mapping[str, float]) -> dict[str, float]:
        """Price sanity per asset (``{}`` when off)."""
        if self.max_price_deviation is None:
            return {}
        return check_prices(exchange, last_close, self.max_price_deviation)

    def on_plan(self, plan: Any) -> None:
        """Order notional and turnover limits of ``plan``."""
        if self.max_order_notional is not None:
            check_orders(plan.orders, self.max_order_notional)
        if self.max_turnover is not None:
            check_turnover(plan.turnover, self.max_turnover)
