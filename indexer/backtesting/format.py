"""Human-readable stats: one place decides how each stat key is shown (CLI table, HTML, markdown)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["DISPLAY_KEYS", "STAT_LABELS", "SHORT_LABELS", "format_stat", "display_table"]

#: Stats shown in tables, in order.
DISPLAY_KEYS = (
    "total_return", "cagr", "volatility", "sharpe", "sortino", "calmar", "max_drawdown",
    "max_drawdown_duration_days", "turnover_annual", "cost_drag_annual", "fees_paid", "slippage_paid", "tracking_error",
    "information_ratio", "beta_btc", "avg_cash", "n_rebalances", "final_value",
)  # fmt: skip

STAT_LABELS = {
    "total_return": "Total return",
    "cagr": "CAGR",
    "volatility": "Volatility (ann.)",
    "sharpe": "Sharpe",
    "sortino": "Sortino",
    "calmar": "Calmar",
    "max_drawdown": "Max drawdown",
    "max_drawdown_duration_days": "Max DD duration (days)",
    "turnover_annual": "Turnover (ann., one-way)",
    "cost_drag_annual": "Cost drag (ann.)",
    "fees_paid": "Fees paid (USD)",
    "slippage_paid": "Slippage paid (USD)",
    "tracking_error": "Tracking error",
    "information_ratio": "Information ratio",
    "beta_btc": "Beta to BTC",
    "avg_cash": "Average cash",
    "n_rebalances": "Rebalances",
    "final_value": "Final value (USD)",
}

#: Short labels for terminals.
SHORT_LABELS = {
    "total_return": "Total ret.", "cagr": "CAGR", "volatility": "Vol", "sharpe": "Sharpe", "sortino": "Sortino",
    "calmar": "Calmar", "max_drawdown": "Max DD", "max_drawdown_duration_days": "Max DD days",
    "turnover_annual": "Turnover/yr", "cost_drag_annual": "Cost drag/yr", "fees_paid": "Fees USD", "slippage_paid": "Slippage USD",
    "tracking_error": "Track. err.", "information_ratio": "Info ratio", "beta_btc": "Beta BTC",
    "avg_cash": "Avg cash", "n_rebalances": "Rebalances", "final_value": "Final USD",
}  # fmt: skip

_PCT = {"total_return", "cagr", "volatility", "max_drawdown", "turnover_annual", "tracking_error", "avg_cash",
        "best_day", "worst_day", "hit_rate", "costs_fraction", "cost_drag_annual"}  # fmt: skip
_USD = {"fees_paid", "slippage_paid", "final_value", "init_value"}
_INT = {"max_drawdown_duration_days", "n_rebalances", "n_orders", "days"}


def format_stat(key: str, value: Any) -> str:
    """``value`` of stat ``key`` as text: percent for fractions, thousands for USD, two decimals for ratios."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if not isinstance(value, (int, float)):
        return str(value)
    if key in _PCT:
        return f"{value * 100:.1f}%"
    if key in _USD:
        return f"{value:,.0f}"
    if key in _INT:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def display_table(
    stats: dict[str, dict[str, Any]], keys: tuple[str, ...] = DISPLAY_KEYS, *, short: bool = False
) -> pd.DataFrame:
    """Format a table: rows = stat labels, columns = the given names (strategy first, then benchmarks)."""
    labels = SHORT_LABELS if short else STAT_LABELS
    return pd.DataFrame(
        {name: [format_stat(k, s.get(k)) for k in keys] for name, s in stats.items()},
        index=[labels.get(k, k) for k in keys],
    )
