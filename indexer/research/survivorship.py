"""Survivorship bias, measured: one methodology on point-in-time membership versus survivors only.

Point-in-time (PIT): the strategy as written, with ``universe.membership``
(the members of the latest snapshot known at each decision, dead coins included).

Survivors only: the same strategy and data, but every snapshot is reduced to
today's constituents -- the assets ranked within the strategy's ``top_n`` in
the *last* snapshot of that membership series (what back-testing today's index
members gives).  Everything else is equal.

Per calendar year the report gives

* ``pit_return`` / ``survivors_return`` and their difference -- the daily
  backtests (after costs; members without daily prices follow the strategy's
  ``missing_prices`` policy, so these only see coins the data can price);
* ``missing_weight`` -- the mean nominal weight per decision of PIT members
  that lacked daily prices, and ``missing`` -- who they were;
* ``snap_pit_return`` / ``snap_survivors_return`` -- where the snapshots carry
  prices (``cmc_monthly_top200``): the same members and nominal weights held
  from one decision to the next at snapshot prices, before costs, every member
  priced at the snapshot dated on or before each decision day (a member
  absent from that snapshot is valued at its next appearance; one never seen
  again counts as a total loss).  ``NaN`` for
  ``cmc_weekly_top10``, whose snapshots have no prices.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from indexer.backtesting import backtest, load_strategy
from indexer.data.market import MarketData
from indexer.data.snapshot_prices import snapshot_price_panel
from indexer.data.sources.cmc_membership import members_at
from indexer.exceptions import ConfigError
from indexer.strategy.missing_prices import nominal_weights

__all__ = ["SurvivorshipReport", "survivors_only", "survivorship"]

_COLUMNS = ["pit_return", "survivors_return", "difference", "missing_weight", "snap_pit_return", "snap_survivors_return",
            "snap_difference", "missing"]


@dataclass(frozen=True)
class SurvivorshipReport:
    """Per-year comparison (``table``, index = year) of one strategy; ``survivors`` = ids kept in the survivors-only run."""

    strategy: str
    membership: str
    start: pd.Timestamp
    end: pd.Timestamp
    survivors: list[str]
    table: pd.DataFrame

    def total(self) -> dict[str, float]:
        """Compounded returns over the whole period (fractions) for each return column."""
        out = {}
        for c in ("pit_return", "survivors_return", "snap_pit_return", "snap_survivors_return"):
            v = self.table[c].dropna()
            out[c] = float(np.prod(1 + v) - 1) if len(v) else float("nan")
        return out

    def to_markdown(self) -> str:
        """Return a Markdown table (percent with one decimal) plus a one-line header naming the runs."""
        pct = lambda v: "n/a" if v is None or not np.isfinite(v) else f"{v:+.1%}"  # noqa: E731
        head = (f"**{self.strategy}** ({self.membership}, {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}; survivors = the "
                f"{len(self.survivors)} constituents of the last snapshot: {', '.join(self.survivors)})\n\n")
        rows = ["| year | PIT | survivors only | difference (pp) | weight without daily prices | snapshot-priced PIT | "
                "snapshot-priced survivors | snapshot difference (pp) | members without daily prices |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for y, r in self.table.iterrows():
            rows.append(f"| {y} | {pct(r.pit_return)} | {pct(r.survivors_return)} | {pct(r.difference)} | "
                        f"{r.missing_weight:.1%} | {pct(r.snap_pit_return)} | {pct(r.snap_survivors_return)} | "
                        f"{pct(r.snap_difference)} | {r.missing or '-'} |")
        t, a = self.total(), self.annualised()
        gap = a["survivors_return"] - a["pit_return"]
        head += (f"Measured gap: survivors only {'overstates' if gap > 0 else 'understates'} the annual return by "
                 f"{abs(gap) * 100:.1f} percentage points ({a['survivors_return']:.1%} against {a['pit_return']:.1%} "
                 "a year with point-in-time membership).\n\n")
        for label, x in (("total", t), ("per year (CAGR)", a)):
            rows.append(f"| **{label}** | {pct(x['pit_return'])} | {pct(x['survivors_return'])} | "
                        f"{pct(x['pit_return'] - x['survivors_return'])} | | {pct(x['snap_pit_return'])} | "
                        f"{pct(x['snap_survivors_return'])} | {pct(x['snap_pit_return'] - x['snap_survivors_return'])} | |")
        return head + "\n".join(rows) + "\n"

    def annualised(self) -> dict[str, float]:
        """:meth:`total` as compound annual rates over the period (365-day years)."""
        years = max((self.end - self.start).days, 1) / 365.0
        return {k: (1 + v) ** (1 / years) - 1 if np.isfinite(v) and v > -1 else v for k, v in self.total().items()}


def survivors_only(data: MarketData, membership: str, max_rank: int | None = None) -> tuple[MarketData, list[str]]:
    """Return ``data`` whose ``membership`` table keeps only today's constituents; and those assets.

    Today's constituents: the assets of the last snapshot ranked ``<= max_rank``
    (``None``: all of them).
    """
    table = data.membership[membership]
    last = table[table["snapshot"] == table["snapshot"].max()]
    if max_rank is not None:
        last = last[last["rank"] <= max_rank]
    keep = sorted(set(last["asset"]))
    tables = dict(data.membership)
    tables[membership] = table[table["asset"].isin(keep)].reset_index(drop=True)
    return replace(data, membership=tables), keep


def _yearly(equity: pd.Series) -> pd.Series:
    """Calendar-year returns (fractions) of a daily equity curve; the first year from its first value."""
    ye = equity.groupby(equity.index.year).last()
    first = equity.iloc[0]
    prev = pd.concat([pd.Series([first], index=[ye.index[0] - 1]), ye]).shift(1).iloc[1:]
    return ye / prev - 1


def _snapshot_index(res: Any, table: pd.DataFrame, objective: str, power: float, max_weight: float | None) -> pd.Series:
    """Per-decision-period returns at snapshot prices of the decisions' members (see module docstring)."""
    dates = [tp.as_of for tp in res.targets if tp.diagnostics.get("membership", {}).get("members")]
    if len(dates) < 2 or not (table["price"] > 0).any():
        return pd.Series(dtype="float64")
    ids = sorted(set(table["asset"]))
    # valuation (not decision) prices: the snapshot dated on or before each decision day
    prices = snapshot_price_panel(table.assign(known_from=table["snapshot"]), pd.DatetimeIndex(dates), ids)
    out = {}
    for t0, t1 in zip(dates[:-1], dates[1:], strict=True):
        snap = members_at(table, t0)
        members = [tp for tp in res.targets if tp.as_of == t0][0].diagnostics["membership"]["members"]
        chosen = snap[snap["asset"].isin(members)]
        w = nominal_weights(chosen, objective, power, max_weight)
        p0 = prices.loc[t0].reindex(w.index)
        p1 = prices.loc[t1].reindex(w.index).fillna(0.0)  # never seen again: total loss
        r = (p1 / p0 - 1).where(p0 > 0)
        out[t0] = float((w * r).sum() / w[r.notna()].sum()) if r.notna().any() else np.nan  # held t0 -> t1
    return pd.Series(out, dtype="float64")


def _compound_by_year(period_returns: pd.Series) -> pd.Series:
    if period_returns.empty:
        return pd.Series(dtype="float64")
    return (1 + period_returns).groupby(period_returns.index.year).prod() - 1


def _missing_by_year(res: Any) -> tuple[pd.Series, pd.Series]:
    weight: dict[int, list[float]] = {}
    names: dict[int, dict[str, str]] = {}
    for tp in res.targets:
        m = tp.diagnostics.get("membership") or {}
        y = tp.as_of.year
        weight.setdefault(y, []).append(float(m.get("missing_weight", 0.0)))
        for x in m.get("missing") or []:
            names.setdefault(y, {})[x["asset"]] = x.get("name") or x["asset"]
    w = pd.Series({y: float(np.mean(v)) for y, v in weight.items()}, dtype="float64")
    n = pd.Series({y: ", ".join(sorted(v)) for y, v in names.items()}, dtype="object")
    return w, n


def survivorship(
    strategy: Any, data: MarketData, *, start: Any = None, end: Any = None, survivor_rank: int | None = None, **backtest_kwargs: Any
) -> SurvivorshipReport:
    """Run ``strategy`` with point-in-time membership and with survivors only; compare per year.

    Parameters
    ----------
    strategy
        A strategy (or YAML path) whose ``universe.membership`` is set.
    data
        Reference data with membership tables.
    start, end
        Backtest period (UTC); defaults as in :func:`indexer.backtesting.backtest`.
    survivor_rank
        Survivors are the last snapshot's assets ranked at most this
        (default: the strategy's ``universe.top_n``, i.e. today's constituents).
    backtest_kwargs
        Passed to both backtests (costs, fees, ...); benchmarks are not run.

    Raises
    ------
    ConfigError
        When the strategy has no ``universe.membership``.
    """
    strat = load_strategy(strategy)
    spec = getattr(strat, "spec", None)
    name = getattr(getattr(spec, "universe", None), "membership", None)
    if spec is None or name is None:
        raise ConfigError(f"strategy {strat.name}: survivorship needs universe.membership (cmc_monthly_top200 or cmc_weekly_top10)")
    pit = backtest(strat, data, start=start, end=end, benchmarks=False, **backtest_kwargs)
    surv_data, survivors = survivors_only(data, name, survivor_rank if survivor_rank is not None else spec.universe.top_n)
    surv = backtest(strat, surv_data, start=pit.equity.index[0], end=end, benchmarks=False, **backtest_kwargs)
    o = spec.optimiser
    power = o.param("power") if o.objective == "market_cap" else 1.0
    max_w = o.param("max_weight") if o.objective == "market_cap" else None
    snap_pit = _compound_by_year(_snapshot_index(pit, data.membership[name], o.objective, power, max_w))
    snap_surv = _compound_by_year(_snapshot_index(surv, surv_data.membership[name], o.objective, power, max_w))
    mw, mn = _missing_by_year(pit)
    table = pd.DataFrame({"pit_return": _yearly(pit.equity), "survivors_return": _yearly(surv.equity)})
    table["difference"] = table["pit_return"] - table["survivors_return"]
    table["missing_weight"] = mw.reindex(table.index).fillna(0.0)
    table["snap_pit_return"] = snap_pit.reindex(table.index)
    table["snap_survivors_return"] = snap_surv.reindex(table.index)
    table["snap_difference"] = table["snap_pit_return"] - table["snap_survivors_return"]
    table["missing"] = mn.reindex(table.index).fillna("")
    table.index.name = "year"
    return SurvivorshipReport(strat.name, name, pit.equity.index[0], pit.equity.index[-1], survivors, table[_COLUMNS])
