"""The flagship's evidence rows for the comparison: design period vs untouched hold-out, and the ablation rows.

Called by ``python -m backtests.run_all`` (``flagship:`` block of ``definitions.yaml``):

* the flagship, its variant without the regime filter and the benchmarks over
  the design period (``design``, e.g. 2017-01-01..2022-12-31) and, in a separate
  row group, over the hold-out (``holdout_start``..latest), on the whole
  reference history; "invested from" is the first day with less than 99 % cash
  (before it the data lacked what the strategy needs, e.g. market caps);
* the attribution ladder (:mod:`indexer.backtesting.attribution`) of the
  flagship's common-period run, which its report also shows.

Uses the public API only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from indexer.backtesting import BENCHMARK_LABELS, backtest, benchmark_strategy
from indexer.data import load_reference

__all__ = ["period_rows", "flagship_section"]

BENCH = ("mcap_top10", "ew_top10", "btc")


def _invested_from(res) -> str:
    inv = res.holdings.drop(columns="CASH", errors="ignore").sum(axis=1)
    hit = inv[inv > 0.01]
    return f"{hit.index[0]:%Y-%m-%d}" if len(hit) else "never"


def period_rows(paths: dict[str, Any], data, start: str, end: str | None, st: dict[str, Any], row: Callable) -> list[str]:
    """Markdown rows of each strategy path and benchmark over ``start..end`` (same costs as the comparison)."""
    lines = []
    runs = {name: backtest(p, data, start=start, end=end, costs=st["costs"], init_cash=st["init_cash"], benchmarks=False)
            for name, p in paths.items()}  # fmt: skip
    for b in BENCH:
        runs[f"_{BENCHMARK_LABELS[b]}_"] = backtest(benchmark_strategy(b), data, start=start, end=end, costs=st["costs"],
                                                   init_cash=st["init_cash"], benchmarks=False, hold=(b == "btc"))  # fmt: skip
    for name, r in runs.items():
        label = name if name.startswith("_") else f"**{name}**"
        lines.append(row(f"{label} (invested from {_invested_from(r)})", r.stats))
    return lines


def flagship_section(cfg: dict[str, Any], st: dict[str, Any], paths: dict[str, Any], flagship_result, header: str,
                     row: Callable) -> str:
    """Markdown block: design rows, hold-out rows, ablation rows (``flagship_result.settings['attribution']``)."""
    full = load_reference(full_history=True)
    d0, d1 = (str(x) for x in cfg["design"])
    h0 = str(cfg["holdout_start"])
    names = {cfg["strategy"]: paths[cfg["strategy"]], cfg["variant"]: paths[cfg["variant"]]}
    lines = [
        "\n## Flagship: design period and untouched hold-out\n",
        f"`{cfg['strategy']}`'s design (signals, blend, overlays) was fixed on {d0[:4]}-{d1[:4]} evidence only "
        f"(`indexer signals cpcv`, `indexer signals report --era design`); {h0[:7]}..latest was not looked at. "
        f"`{cfg['variant']}` is the same without the regime filter. Whole reference history, same costs; "
        "'invested from' = first day under 99 % cash (before it the reference data lacks the market caps the "
        "universe ranks by).\n",
        f"### Design period {d0}..{d1}\n", header,
        *period_rows(names, full, d0, d1, st, row),
        f"\n### Hold-out {h0}..latest\n", header,
        *period_rows(names, full, h0, None, st, row),
    ]
    rows = (flagship_result.settings or {}).get("attribution") if flagship_result is not None else None
    if rows:
        tab = pd.DataFrame(rows)
        lines += [
            f"\n### Attribution of `{cfg['strategy']}` by ablation ({flagship_result.equity.index[0]:%Y-%m-%d}.."
            f"{flagship_result.equity.index[-1]:%Y-%m-%d}, the comparison period)\n",
            "Each row removes one more element; contribution = its annualised log return minus the next row's, so the "
            "contributions add up to the flagship minus the market-cap top-10 benchmark.\n",
            "| run | CAGR | Sharpe | Max DD | ann. log return | step to next row | contribution |",
            "|---|---:|---:|---:|---:|---|---:|",
        ]
        f = lambda v, p=True: "–" if v is None or pd.isna(v) else (f"{v * 100:+.1f}%" if p else f"{v:.2f}")  # noqa: E731
        for _, r in tab.iterrows():
            lines.append(f"| {r['run']} | {f(r['cagr'])} | {f(r['sharpe'], False)} | {f(r['max_drawdown'])} | "
                         f"{f(r['ann_log_return'])} | {r['step']} | {f(r['contribution'])} |")  # fmt: skip
    return "\n".join(lines) + "\n"
