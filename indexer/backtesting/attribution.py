"""Return attribution of a strategy by ablation: remove one design element at a time, in the same report.

The ladder (each rung removes one more element; same universe, rebalance
dates, costs and period):

1. the strategy as written;
2. ``overlay off``: no overlays (regime filter);
3. ``equal signal weights``: also a fixed blend with every signal weighted 1
   (no fitted model, no tuned weights);
4. ``no signals (risk weighting)``: also no scores: the optimiser's
   ``min_variance`` with the same risk model and constraints (what the
   optimiser's risk weighting does on its own);
5. ``cap weights``: also no optimiser: market-cap weights in the same universe
   with the same weight cap;

and the market-cap top-10 benchmark.  A rung's contribution is the
difference of annualised log returns (365 days) to the next rung, so the
contributions add up to the strategy minus the benchmark exactly:
overlay = 1-2, signal weighting / model = 2-3, signal tilts = 3-4,
optimiser risk weighting = 4-5, universe and cap rules = 5-benchmark.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from indexer.backtesting.result import BacktestResult

__all__ = ["RUNGS", "ablation_specs", "attribution_table", "run_attribution", "attach_attribution", "attribution_html"]

#: rung name -> what the step from it to the next rung measures.
RUNGS: dict[str, str] = {
    "strategy": "regime overlay",
    "overlay off": "signal weighting / ML model",
    "equal signal weights": "signal tilts",
    "no signals (risk weighting)": "optimiser risk weighting",
    "cap weights": "universe and caps vs market-cap top 10",
}


def ablation_specs(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Strategy dicts of the ladder (see module docstring) from a strategy dict ``spec``."""
    out = {"strategy": spec}
    s = copy.deepcopy(spec)
    s["overlays"] = []
    out["overlay off"] = s
    s = copy.deepcopy(s)
    if s.get("signals"):
        sig = s["signals"]
        sig["model"] = {"type": "fixed", "horizon": (sig.get("model") or {}).get("horizon", 30)}
        for x in sig["signals"]:
            x["weight"] = 1.0
    out["equal signal weights"] = s
    s = copy.deepcopy(s)
    s["signals"] = None
    opt = s["optimiser"]
    opt["objective"], opt["params"] = "min_variance", {}
    out["no signals (risk weighting)"] = s
    s = copy.deepcopy(s)
    s["optimiser"] = {"objective": "market_cap", "params": {"power": 1.0},
                      "constraints": {"max_weight": opt.get("constraints", {}).get("max_weight", 1.0)}}
    s.pop("estimation_window", None)
    out["cap weights"] = s
    for k, v in out.items():
        if k != "strategy":
            v["name"] = f"{spec['name']}.{k.split(' (')[0].replace(' ', '_')}"
            v["description"] = f"Ablation of {spec['name']}: {k}."
    return out


def _ann_log(r: BacktestResult) -> float:
    eq = r.equity.dropna()
    years = (eq.index[-1] - eq.index[0]) / pd.Timedelta(days=365)
    return float(np.log(eq.iloc[-1] / eq.iloc[0]) / years) if years > 0 else float("nan")


def attribution_table(results: dict[str, BacktestResult], benchmark: BacktestResult) -> pd.DataFrame:
    """One row per rung plus the benchmark: CAGR, Sharpe, max drawdown, annual log return and the step contribution."""
    names = list(results) + ["benchmark (market-cap top 10)"]
    runs = list(results.values()) + [benchmark]
    logs = [_ann_log(r) for r in runs]
    rows = []
    for i, (name, r) in enumerate(zip(names, runs, strict=True)):
        nxt = logs[i + 1] if i + 1 < len(logs) else np.nan
        rows.append({
            "run": name, "cagr": r.stats.get("cagr"), "sharpe": r.stats.get("sharpe"), "max_drawdown": r.stats.get("max_drawdown"),
            "ann_log_return": logs[i], "step": RUNGS.get(name, ""), "contribution": logs[i] - nxt if i + 1 < len(logs) else np.nan,
        })
    return pd.DataFrame(rows).set_index("run")


def run_attribution(
    spec: dict[str, Any], run: Callable[[Any], BacktestResult], benchmark: BacktestResult
) -> tuple[pd.DataFrame, dict[str, BacktestResult]]:
    """Backtest every rung with ``run(strategy)`` (same data, period, costs) and tabulate against ``benchmark``."""
    from indexer.strategy import Strategy

    results = {name: run(Strategy.from_dict(d, source=f"<ablation {name}>")) for name, d in ablation_specs(spec).items()}
    return attribution_table(results, benchmark), results


def attach_attribution(result: BacktestResult, strategy: Any, data: Any, **kwargs: Any) -> pd.DataFrame:
    """Run the ablation ladder of ``strategy`` like ``result`` was run and store the table in ``result.settings``.

    ``kwargs`` are the :func:`indexer.backtesting.backtest` arguments ``result`` was run with (``start``, ``end``,
    ``costs``, ...); the market-cap top-10 benchmark is taken from ``result.benchmarks`` or run the same way.
    The table lands in ``result.settings["attribution"]`` (records), which the HTML report shows.
    """
    from indexer.backtesting.benchmarks import benchmark_strategy
    from indexer.backtesting.engine import backtest

    kw = {k: v for k, v in kwargs.items() if k not in ("benchmarks", "progress", "benchmark")}
    start, end = result.equity.index[0], result.equity.index[-1]
    kw.update(start=start, end=end)
    bench = result.benchmarks.get("mcap_top10") or backtest(benchmark_strategy("mcap_top10"), data, benchmarks=False, **kw)
    spec = strategy.spec.model_dump(mode="json", exclude_none=True) if hasattr(strategy, "spec") else dict(strategy)
    rungs = ablation_specs(spec)
    from indexer.strategy import Strategy

    results = {"strategy": result}
    for name, d in list(rungs.items())[1:]:
        results[name] = backtest(Strategy.from_dict(d, source=f"<ablation {name}>"), data, benchmarks=False, **kw)
    table = attribution_table(results, bench)
    result.settings["attribution"] = table.reset_index().to_dict("records")
    return table


def attribution_html(res: BacktestResult) -> str:
    """Return the report section of ``res.settings['attribution']`` (records of :func:`attribution_table`), or ''."""
    rows = (res.settings or {}).get("attribution")
    if not rows:
        return ""
    def pct(v: Any) -> str:
        return "" if v is None or v != v else f"{v:+.1%}"

    def num(v: Any) -> str:
        return "" if v is None or v != v else f"{v:.2f}"

    body = "".join(
        f"<tr><td>{html.escape(str(r['run']))}</td><td>{pct(r['cagr'])}</td><td>{num(r['sharpe'])}</td>"
        f"<td>{pct(r['max_drawdown'])}</td><td>{pct(r['ann_log_return'])}</td><td>{html.escape(str(r['step']))}</td>"
        f"<td>{pct(r['contribution'])}</td></tr>"
        for r in rows
    )
    return (
        "<section><h2>Attribution by ablation</h2><p>Each row removes one more design element (same universe, dates, costs); "
        "a row's contribution is its annualised log return minus the next row's, so the contributions add up to the "
        "strategy minus the market-cap top-10 benchmark.</p><table><tr><th>run</th><th>CAGR</th><th>Sharpe</th><th>max DD</th>"
        f"<th>ann. log return</th><th>step to next row</th><th>contribution</th></tr>{body}</table></section>"
    )
