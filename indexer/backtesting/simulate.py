"""The money: one vectorbt ``Portfolio.from_orders`` run of a walk-forward :class:`Plan`.

Target percentages, ``group_by=True, cash_sharing=True, call_seq="auto"`` (sells
before buys in each bar), CASH held as vectorbt cash, fills at the bar's close
moved by the slippage of each fill, fees as a fraction of each fill's notional.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from indexer._typing import CASH

__all__ = ["Simulation", "simulate", "simulate_cost_grid", "from_orders", "clip_noise", "HOLDING_NOISE"]


@dataclass
class Simulation:
    """What the backtest keeps of a vectorbt run.

    Attributes
    ----------
    portfolio
        The ``vbt.Portfolio`` itself (for anything not extracted here).
    equity
        Portfolio value (USD) per bar.
    holdings
        Held weights per bar (fractions of value, incl. ``CASH``).
    orders
        One row per fill: ``timestamp``, ``asset``, ``side``, ``size`` (units), ``price`` (fill, USD),
        ``close`` (bar close, USD), ``notional`` (USD), ``fees`` (USD), ``slippage`` (USD).
    """

    portfolio: Any
    equity: pd.Series
    holdings: pd.DataFrame
    orders: pd.DataFrame


#: Held weights in ``(-HOLDING_NOISE, 0)`` are float noise of a fully invested book (cash - sum of costs).
HOLDING_NOISE = 1e-12


def clip_noise(holdings: pd.DataFrame, tol: float = HOLDING_NOISE) -> pd.DataFrame:
    """Return ``holdings`` with tiny negatives (within ``tol``, e.g. CASH at -5e-18) set to 0.0; larger ones kept.

    A fully invested portfolio leaves cash of about -1e-16 of its value after
    vectorbt's fee arithmetic; left in, it breaks consumers that require
    non-negative weights (pandas' stacked-area plot, ``TargetPortfolio``).
    """
    return holdings.mask((holdings < 0.0) & (holdings > -tol), 0.0)


def from_orders(close: pd.DataFrame, size: Any, *, fees: Any, slippage: Any, init_cash: float, **kwargs: Any) -> Any:
    """``vbt.Portfolio.from_orders`` with the backtest's fixed settings (target percent, one group, shared cash)."""
    from indexer.backtesting._vbt import vbt

    return vbt().Portfolio.from_orders(
        close,
        size,
        size_type="targetpercent",
        group_by=kwargs.pop("group_by", True),
        cash_sharing=True,
        call_seq="auto",
        fees=fees,
        slippage=slippage,
        init_cash=init_cash,
        freq="1D",
        **kwargs,
    )


def simulate(close: pd.DataFrame, size: np.ndarray, slippage: np.ndarray, *, fee: float, init_cash: float) -> Simulation:
    """Simulate target-percent orders on ``close`` (forward-filled; NaN before listing).

    Parameters
    ----------
    close
        Close prices (USD) of the simulation bars.
    size
        Target percentages per bar and asset, NaN = no order.
    slippage
        Slippage fraction per bar and asset.
    fee
        Fee fraction of each fill's notional.
    init_cash
        Starting cash (USD).
    """
    px = close.ffill()
    # vectorbt values positions at the close; before listing nobody holds the asset, so any price does.
    px_sim = px.fillna(1.0)
    size_df = pd.DataFrame(size, index=close.index, columns=close.columns)
    pf = from_orders(px_sim, size_df, fees=fee, slippage=slippage, init_cash=float(init_cash))
    asset_val = pf.asset_value(group_by=False)
    cash = pf.cash()
    equity = (asset_val.sum(axis=1) + cash).rename("equity")  # = pf.value(), without a second pass
    holdings = asset_val.div(equity, axis=0)
    holdings[CASH] = cash / equity
    holdings = clip_noise(holdings)
    holdings.columns.name = "asset"
    rec = pf.orders.values
    if len(rec):
        ts = close.index[rec["idx"]]
        assets = close.columns[rec["col"]]
        bar_close = px_sim.to_numpy()[rec["idx"], rec["col"]]
        orders = pd.DataFrame(
            {
                "timestamp": ts,
                "asset": assets,
                "side": np.where(rec["side"] == 0, "buy", "sell"),
                "size": rec["size"],
                "price": rec["price"],
                "close": bar_close,
                "notional": rec["size"] * rec["price"],
                "fees": rec["fees"],
                "slippage": rec["size"] * np.abs(rec["price"] - bar_close),
            }
        )
    else:
        orders = pd.DataFrame(columns=["timestamp", "asset", "side", "size", "price", "close", "notional", "fees", "slippage"])
    return Simulation(portfolio=pf, equity=equity, holdings=holdings, orders=orders)


def simulate_cost_grid(
    close: pd.DataFrame, size: np.ndarray, fees: list[float], slippage: list[float], *, init_cash: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Equity curves of the same orders under every (fee, slippage) pair, in ONE vectorbt run.

    The price and order arrays are tiled once per pair (vectorbt column broadcasting) and each
    copy is its own group with its own cash; fees and slippage are per-column arrays.  Returns
    value per bar with one column per pair, labelled ``(fee, slippage)``, and the fees, slippage
    (USD) and order count of each pair.
    """
    pairs = [(f, s) for f in fees for s in slippage]
    k, m = len(pairs), close.shape[1]
    px = close.ffill().fillna(1.0).to_numpy()
    wide_close = pd.DataFrame(np.tile(px, (1, k)), index=close.index)
    wide_size = pd.DataFrame(np.tile(size, (1, k)), index=close.index)
    fee_row = np.repeat([p[0] for p in pairs], m)[None, :]
    slip_row = np.repeat([p[1] for p in pairs], m)[None, :]
    pf = from_orders(wide_close, wide_size, fees=fee_row, slippage=slip_row, init_cash=float(init_cash),
                     group_by=np.repeat(np.arange(k), m))  # fmt: skip
    value = pf.value()
    if isinstance(value, pd.Series):  # one group: vectorbt returns a Series
        value = value.to_frame()
    names = pd.MultiIndex.from_tuples(pairs, names=["fees", "slippage"])
    value.columns = names
    rec = pf.orders.values
    grp = rec["col"] // m
    slip_usd = rec["size"] * np.abs(rec["price"] - wide_close.to_numpy()[rec["idx"], rec["col"]])
    paid = pd.DataFrame(
        {
            "fees_paid": np.bincount(grp, weights=rec["fees"], minlength=k),
            "slippage_paid": np.bincount(grp, weights=slip_usd, minlength=k),
            "n_orders": np.bincount(grp, minlength=k),
        },
        index=names,
    )
    return value, paid
