"""Performance metrics of an equity curve (daily bars, 365-day years, fractions not percent).

Stable keys of :func:`compute_stats` (JSON-friendly floats; NaN becomes ``None`` in JSON):

``start``, ``end``, ``days``, ``init_value``, ``final_value``, ``total_return``, ``cagr``,
``volatility``, ``sharpe``, ``sortino``, ``calmar``, ``max_drawdown`` (negative fraction),
``max_drawdown_duration_days``, ``best_day``, ``worst_day``, ``hit_rate``, ``turnover_annual``
(one-way: half the traded notional over portfolio value, per year, the initial investment excluded), ``n_rebalances``, ``n_orders``,
``fees_paid`` and ``slippage_paid`` (USD), ``costs_fraction`` ((fees + slippage) / initial value),
``cost_drag_annual`` (each fill's fees and slippage over the portfolio value then, summed, per year),
``avg_cash`` (mean CASH weight), ``tracking_error``, ``information_ratio`` (against the chosen
benchmark, ``benchmark`` names it), ``beta_btc``, ``correlation_btc``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from indexer.config import DAYS_PER_YEAR

__all__ = [
    "STAT_KEYS",
    "compute_stats",
    "stat_warnings",
    "drawdown",
    "max_drawdown_duration",
    "rolling_metrics",
    "monthly_returns",
    "turnover_annual",
]

STAT_KEYS = (
    "start", "end", "days", "init_value", "final_value", "total_return", "cagr", "volatility", "sharpe",
    "sortino", "calmar", "max_drawdown", "max_drawdown_duration_days", "best_day", "worst_day", "hit_rate",
    "turnover_annual", "n_rebalances", "n_orders", "fees_paid", "slippage_paid", "costs_fraction", "cost_drag_annual",
    "avg_cash", "benchmark", "tracking_error", "information_ratio", "beta_btc", "correlation_btc",
)  # fmt: skip

_A = float(DAYS_PER_YEAR)


def drawdown(equity: pd.Series) -> pd.Series:
    """Drawdown from the running peak (<= 0, fractions)."""
    return equity / equity.cummax() - 1.0


def max_drawdown_duration(equity: pd.Series) -> float:
    """Longest stretch (days) spent below a previous peak, open drawdowns counted to the last bar."""
    if len(equity) < 2:
        return 0.0
    peak = equity.cummax().to_numpy()
    below = equity.to_numpy() < peak
    ts = equity.index
    longest, begin = 0.0, None
    for i, b in enumerate(below):
        if b and begin is None:
            begin = ts[i - 1]
        elif not b and begin is not None:
            longest = max(longest, (ts[i] - begin) / pd.Timedelta(days=1))
            begin = None
    if begin is not None:
        longest = max(longest, (ts[-1] - begin) / pd.Timedelta(days=1))
    return float(longest)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b and np.isfinite(b) and b != 0 else float("nan")


def turnover_annual(traded_fraction: pd.Series, days: float) -> float:
    """One-way annual turnover from the traded notional per rebalance (fractions of value)."""
    years = days / _A
    return float(0.5 * traded_fraction.sum() / years) if years > 0 else float("nan")


def compute_stats(
    equity: pd.Series,
    *,
    orders: pd.DataFrame | None = None,
    holdings: pd.DataFrame | None = None,
    n_rebalances: int = 0,
    benchmark: pd.Series | None = None,
    benchmark_name: str | None = None,
    btc: pd.Series | None = None,
) -> dict[str, Any]:
    """Every stat of :data:`STAT_KEYS` for a USD equity curve.

    Parameters
    ----------
    equity
        Portfolio value per daily bar (USD).
    orders
        Fills as in :class:`~indexer.backtesting.simulate.Simulation` (notional, fees, slippage in USD).
    holdings
        Held weights per bar incl. ``CASH``.
    benchmark, btc
        Equity curves (any scale) for tracking error / information ratio and beta.
    """
    eq = equity.dropna()
    r = eq.pct_change().iloc[1:]
    days = float((eq.index[-1] - eq.index[0]) / pd.Timedelta(days=1)) if len(eq) > 1 else 0.0
    v0, v1 = float(eq.iloc[0]), float(eq.iloc[-1])
    years = days / _A
    cagr = (v1 / v0) ** (1.0 / years) - 1.0 if years > 0 and v0 > 0 and v1 > 0 else float("nan")
    if years > 0 and v0 > 0 and v1 <= 0:
        cagr = -1.0  # total loss: -100 % a year, a value (see stat_warnings), not null
    sd = float(r.std(ddof=1)) if len(r) > 1 else float("nan")
    downside = float(np.sqrt(np.mean(np.minimum(r.to_numpy(), 0.0) ** 2))) if len(r) else float("nan")
    mdd = float(drawdown(eq).min()) if len(eq) else float("nan")
    s: dict[str, Any] = {
        "start": eq.index[0].isoformat(),
        "end": eq.index[-1].isoformat(),
        "days": days,
        "init_value": v0,
        "final_value": v1,
        "total_return": v1 / v0 - 1.0,
        "cagr": float(cagr),
        "volatility": sd * np.sqrt(_A),
        "sharpe": 0.0 if sd == 0 else _ratio(float(r.mean()) * np.sqrt(_A), sd),
        "sortino": 0.0 if downside == 0 else _ratio(float(r.mean()) * np.sqrt(_A), downside),
        "calmar": _ratio(float(cagr), abs(mdd)),
        "max_drawdown": mdd,
        "max_drawdown_duration_days": max_drawdown_duration(eq),
        "best_day": float(r.max()) if len(r) else float("nan"),
        "worst_day": float(r.min()) if len(r) else float("nan"),
        "hit_rate": float((r > 0).mean()) if len(r) else float("nan"),
    }
    if orders is not None and len(orders):
        value_at = eq.reindex(pd.DatetimeIndex(orders["timestamp"])).to_numpy()
        traded = pd.Series(orders["notional"].to_numpy() / value_at, index=orders["timestamp"])
        traded = traded[traded.index > traded.index.min()]  # the initial investment is not turnover
        fees, slip = float(orders["fees"].sum()), float(orders["slippage"].sum())
        drag = float(((orders["fees"] + orders["slippage"]).to_numpy() / value_at).sum())
        s.update(turnover_annual=turnover_annual(traded, days), n_orders=int(len(orders)),
                 cost_drag_annual=drag / years if years > 0 else float("nan"))  # fmt: skip
    else:
        fees = slip = 0.0
        s.update(turnover_annual=0.0, n_orders=0, cost_drag_annual=0.0)
    s.update(
        n_rebalances=int(n_rebalances),
        fees_paid=fees,
        slippage_paid=slip,
        costs_fraction=(fees + slip) / v0 if v0 else float("nan"),
        avg_cash=float(holdings["CASH"].mean()) if holdings is not None and "CASH" in holdings else float("nan"),
        benchmark=benchmark_name,
    )
    te = ir = float("nan")
    if benchmark is not None:
        rb = benchmark.reindex(eq.index).pct_change()
        active = (r - rb.reindex(r.index)).dropna()
        if len(active) > 1:
            te = float(active.std(ddof=1) * np.sqrt(_A))
            ir = _ratio(float(active.mean()) * _A, te)
    beta = corr = float("nan")
    if btc is not None:
        rx = btc.reindex(eq.index).pct_change().reindex(r.index)
        both = pd.concat([r, rx], axis=1).dropna()
        if len(both) > 2:
            c = np.cov(both.to_numpy().T, ddof=1)
            beta = _ratio(c[0, 1], c[1, 1])
            corr = float(both.corr().iloc[0, 1])
    s.update(tracking_error=te, information_ratio=ir, beta_btc=beta, correlation_btc=corr)
    return {k: s[k] for k in STAT_KEYS}


def rolling_metrics(equity: pd.Series, window: int = 90) -> pd.DataFrame:
    """Compute the rolling ``window``-day annualised Sharpe and volatility of daily returns."""
    r = equity.pct_change()
    roll = r.rolling(window, min_periods=window)
    vol = roll.std(ddof=1) * np.sqrt(_A)
    sharpe = roll.mean() * _A / vol
    return pd.DataFrame({f"sharpe_{window}d": sharpe, f"volatility_{window}d": vol})


def monthly_returns(equity: pd.Series) -> pd.DataFrame:
    """Calendar-month returns (fractions): years x months 1..12, NaN outside the period."""
    eq = equity.dropna()
    if eq.index.tz is not None:
        eq = eq.tz_convert("UTC").tz_localize(None)
    month_end = eq.resample("ME").last()
    first = eq.iloc[:1]
    prev = pd.concat([first, month_end]).iloc[:-1].to_numpy()
    ret = month_end.to_numpy() / prev - 1.0
    out = pd.DataFrame({"year": month_end.index.year, "month": month_end.index.month, "ret": ret})
    table = out.pivot(index="year", columns="month", values="ret").reindex(columns=range(1, 13))
    table.columns.name = "month"
    return table


def stat_warnings(stats: dict[str, Any]) -> list[str]:
    """Plain-language warnings for degenerate stats (total loss, zero volatility, values that overflowed)."""
    out = []
    v0, v1 = stats.get("init_value"), stats.get("final_value")
    if isinstance(v1, float) and isinstance(v0, float) and v0 > 0 and v1 <= 0:
        out.append("total loss: the final value is <= 0, CAGR shown as -100%")
    if stats.get("volatility") == 0:
        out.append("zero volatility (no price exposure, e.g. all cash): Sharpe and Sortino shown as 0")
    big = [k for k in ("final_value", "total_return", "cagr") if isinstance(stats.get(k), float) and not np.isfinite(stats[k])]
    if big:
        out.append(f"{', '.join(big)} not finite (overflow): lower init_cash")
    return out
