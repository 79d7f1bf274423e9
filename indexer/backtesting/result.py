"""``BacktestResult``: everything a backtest produced, with the benchmarks beside it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from indexer._typing import TargetPortfolio
from indexer.backtesting.metrics import drawdown, monthly_returns, rolling_metrics
from indexer.strategy.jsonable import jsonable

__all__ = ["BacktestResult", "jsonable"]


@dataclass
class BacktestResult:
    """The outcome of :func:`indexer.backtesting.backtest`.

    Attributes
    ----------
    name
        Strategy name.
    weights
        Weight history: decision rows (UTC ``as_of``) x assets incl. ``CASH``, the targets decided.
    holdings
        Held weights per bar (drifted; incl. ``CASH``).
    equity
        Portfolio value per bar (USD), starting at ``init_cash`` on the first decision bar.
    returns
        Daily simple returns of ``equity`` (fractions).
    stats
        Metrics with stable keys (see :mod:`indexer.backtesting.metrics`).
    benchmarks
        Benchmark name -> its own :class:`BacktestResult` (same period, costs and execution).
    orders
        Fills (USD notional, fees, slippage).
    decisions
        One row per decision: ``as_of``, ``executed``, ``reason``, ``n_assets``, ``empty_universe`` (the universe was
        empty: 100% CASH by ``empty_universe: cash``), ``cash``, ``traded``, ``skipped``.
    targets
        The strategy's :class:`TargetPortfolio` answers (with diagnostics).
    settings
        Costs, execution, period, drift bands, initial cash.
    strategy_text
        The strategy file echoed (YAML text) when known.
    provenance
        ``data.provenance`` of the data used.
    portfolio
        The vectorbt ``Portfolio`` (not serialised).
    """

    name: str
    weights: pd.DataFrame
    holdings: pd.DataFrame
    equity: pd.Series
    returns: pd.Series
    stats: dict[str, Any]
    orders: pd.DataFrame
    decisions: pd.DataFrame
    targets: list[TargetPortfolio] = field(default_factory=list, repr=False)
    benchmarks: dict[str, BacktestResult] = field(default_factory=dict, repr=False)
    settings: dict[str, Any] = field(default_factory=dict)
    strategy_text: str = field(default="", repr=False)
    provenance: Mapping[str, Any] = field(default_factory=dict, repr=False)
    portfolio: Any = field(default=None, repr=False)

    # -- derived views ---------------------------------------------------------------------------
    @property
    def drawdown(self) -> pd.Series:
        """Drawdown from the running peak (<= 0)."""
        return drawdown(self.equity)

    @property
    def rolling(self) -> pd.DataFrame:
        """Rolling 90-day Sharpe and volatility (annualised)."""
        return rolling_metrics(self.equity, 90)

    @property
    def monthly_returns(self) -> pd.DataFrame:
        """Calendar-month returns: years x months (fractions)."""
        return monthly_returns(self.equity)

    @property
    def costs(self) -> pd.DataFrame:
        """Fees and slippage (USD) and traded notional per execution bar."""
        if not len(self.orders):
            return pd.DataFrame(columns=["notional", "fees", "slippage"])
        return self.orders.groupby("timestamp")[["notional", "fees", "slippage"]].sum()

    @property
    def diagnostics(self) -> pd.DataFrame:
        """Per-decision diagnostics flattened: optimiser status/solver/fallback, exposure, universe size."""
        rows = []
        for tp in self.targets:
            d = tp.diagnostics
            opt = d.get("optimiser") or {}
            sig = d.get("signals") or {}
            train = sig.get("training") or {}
            rows.append(
                {
                    "as_of": tp.as_of,
                    "universe": len(d.get("universe", []) or []),
                    "exposure": d.get("exposure", 1.0 - tp.cash),
                    "status": opt.get("status"),
                    "solver": opt.get("solver"),
                    "fallback": opt.get("fallback_used", opt.get("fallback")),
                    "model": sig.get("model"),
                    "model_status": sig.get("model_status"),
                    "n_train": train.get("n_train"),
                    "train_end": train.get("train_end"),
                    "overlays": "; ".join(
                        f"{o.get('name')}: exposure {o.get('exposure')}" for o in (d.get("overlays") or [])
                        if isinstance(o, dict) and "exposure" in o
                    ),
                }
            )
        return pd.DataFrame(rows).set_index("as_of") if rows else pd.DataFrame()

    @property
    def scores(self) -> pd.DataFrame:
        """Signal scores per decision (as_of x asset) when the strategy reports them, else empty."""
        rows = {tp.as_of: tp.diagnostics.get("scores") for tp in self.targets if tp.diagnostics.get("scores")}
        return pd.DataFrame.from_dict(rows, orient="index").sort_index() if rows else pd.DataFrame()

    def equity_table(self, normalise: bool = True) -> pd.DataFrame:
        """Strategy and benchmark equity curves side by side (normalised to 1 at the start when asked)."""
        curves = {self.name: self.equity}
        curves.update({k: b.equity for k, b in self.benchmarks.items()})
        df = pd.DataFrame(curves).reindex(self.equity.index)
        return df / df.bfill().iloc[0] if normalise else df

    def stats_table(self) -> pd.DataFrame:
        """Stats (rows) for the strategy and each benchmark (columns)."""
        cols = {self.name: self.stats}
        cols.update({k: b.stats for k, b in self.benchmarks.items()})
        return pd.DataFrame(cols)

    # -- persistence -----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Stats of the strategy and its benchmarks plus settings, JSON-friendly."""
        return jsonable(
            {
                "strategy": self.name,
                "stats": self.stats,
                "benchmarks": {k: b.stats for k, b in self.benchmarks.items()},
                "settings": self.settings,
            }
        )

    def save(self, out_dir: str | Path) -> dict[str, Path]:
        """Write the result's CSV and JSON files to ``out_dir``; return the paths.

        The files: ``weights.csv``, ``holdings.csv``, ``equity.csv`` (with benchmarks), ``orders.csv``,
        ``decisions.csv``, ``monthly_returns.csv`` and ``stats.json``.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "weights": out / "weights.csv",
            "holdings": out / "holdings.csv",
            "equity": out / "equity.csv",
            "orders": out / "orders.csv",
            "decisions": out / "decisions.csv",
            "monthly": out / "monthly_returns.csv",
            "stats": out / "stats.json",
        }
        self.weights.to_csv(paths["weights"])
        self.holdings.to_csv(paths["holdings"])
        self.equity_table(normalise=False).to_csv(paths["equity"])
        self.orders.to_csv(paths["orders"], index=False)
        self.decisions.to_csv(paths["decisions"], index=False)
        self.monthly_returns.to_csv(paths["monthly"])
        tmp = paths["stats"].with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2))
        tmp.replace(paths["stats"])
        return paths
