"""Regenerate every standard backtest report and ``backtests/out/comparison.md``.

Usage (from the repository root)::

    python -m backtests.run_all [--only NAME ...] [--out DIR] [--readme README.md]

Runs every ``strategies/*.yaml`` on the reference data (``indexer.data.load_reference``) with the
settings of ``backtests/definitions.yaml``, writes each report under ``backtests/out/<name>/`` and a
markdown comparison table (strategies and benchmarks side by side).  Strategies whose scores come
from a walk-forward ML model get a second table over the period in which the model was live.
Uses the public API only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from indexer.backtesting import (
    BENCHMARK_LABELS,
    CostModel,
    attach_benchmarks,
    backtest,
    benchmark_strategy,
    compute_stats,
    write_outputs,
)
from indexer.data import load_reference
from indexer.strategy import Strategy

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
COLUMNS = {
    "cagr": "CAGR", "volatility": "Vol", "sharpe": "Sharpe", "max_drawdown": "Max DD",
    "turnover_annual": "Turnover/yr", "cost_drag_annual": "Cost drag/yr", "information_ratio": "IR vs BTC",
}  # fmt: skip


def _pct(v: Any) -> str:
    return "–" if v is None or pd.isna(v) else f"{v * 100:.1f}%"


def _num(v: Any) -> str:
    return "–" if v is None or pd.isna(v) else f"{v:.2f}"


def _row(label: str, s: dict[str, Any]) -> str:
    cells = [_pct(s["cagr"]), _pct(s["volatility"]), _num(s["sharpe"]), _pct(s["max_drawdown"]),
             _pct(s["turnover_annual"]), _pct(s["cost_drag_annual"]), _num(s["information_ratio"])]  # fmt: skip
    return f"| {label} | " + " | ".join(cells) + " |"


def model_live_from(result) -> pd.Timestamp | None:
    """First decision whose scores came from a fitted walk-forward model (None: never / no model)."""
    for tp in result.targets:
        sig = tp.diagnostics.get("signals") or {}
        status = str(sig.get("model_status", ""))
        if sig.get("model") not in (None, "fixed") and "fitted" in status:
            return tp.as_of
    return None


def _settings(defaults: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    s = {**defaults, **(override or {})}
    costs = CostModel(taker_fee=s["fees"], slippage=s["slippage"], impact=s.get("impact", 0.0),
                      min_trade_usd=s.get("min_trade_usd", 0.0))  # fmt: skip
    return {"start": s.get("start"), "end": s.get("end"), "init_cash": s["init_cash"], "costs": costs,
            "benchmark": s.get("benchmark", "btc")}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="strategy names to run (default: all in strategies/)")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--end", help="override the last bar of every backtest (UTC date), e.g. for a quick check")
    ap.add_argument("--readme", type=Path, help="also replace the marked comparison section of this README")
    args = ap.parse_args(argv)
    defs = yaml.safe_load((HERE / "definitions.yaml").read_text())
    defaults, overrides = defs["defaults"], defs.get("strategies") or {}
    if args.end:
        defaults = {**defaults, "end": args.end}
        overrides = {k: {**v, "end": args.end} for k, v in overrides.items()}
    paths = sorted((REPO / "strategies").glob("*.yaml"))
    strategies = {Strategy.from_yaml(p).name: p for p in paths}
    unknown = set(overrides) - set(strategies)
    if unknown:
        print(f"definitions.yaml names strategies not in strategies/: {sorted(unknown)}", file=sys.stderr)
        return 2
    if args.only:
        strategies = {k: v for k, v in strategies.items() if k in args.only}
    data = load_reference()
    from rich.progress import Progress

    results, bench_cache = {}, {}
    t0 = time.time()
    with Progress() as bar:
        task = bar.add_task("standard backtests", total=len(strategies))
        for name, path in strategies.items():
            st = _settings(defaults, overrides.get(name, {}))
            res = backtest(path, data, start=st["start"], end=st["end"], costs=st["costs"],
                           init_cash=st["init_cash"], benchmarks=False)  # fmt: skip
            key = (res.equity.index[0], res.equity.index[-1], repr(st["costs"]), st["init_cash"])
            if key not in bench_cache:
                bench_cache[key] = {
                    b: backtest(benchmark_strategy(b), data, start=key[0], end=key[1], costs=st["costs"],
                                init_cash=st["init_cash"], benchmarks=False, hold=(b == "btc"))
                    for b in BENCHMARK_LABELS
                }  # fmt: skip
            attach_benchmarks(res, bench_cache[key], data, benchmark=st["benchmark"])
            if name == (defs.get("flagship") or {}).get("strategy"):  # ablations into its report (attribution)
                from indexer.backtesting.attribution import attach_attribution

                attach_attribution(res, Strategy.from_yaml(path), data, costs=st["costs"], init_cash=st["init_cash"])
            write_outputs(res, args.out / name)
            results[name] = res
            bar.advance(task)
    table = write_comparison(results, args.out, data, time.time() - t0)
    fl = defs.get("flagship")
    if fl and fl["strategy"] in results and fl["variant"] in strategies:
        from backtests.flagship import flagship_section

        header = "| | " + " | ".join(COLUMNS.values()) + " |\n|---|" + "---:|" * len(COLUMNS)
        with table.open("a") as fh:
            fh.write(flagship_section(fl, _settings(defaults, {}), strategies, results[fl["strategy"]], header, _row))
    print(f"wrote {len(results)} reports and {table}")
    if args.readme:
        update_readme(args.readme, table.read_text())
        print(f"updated the comparison section of {args.readme}")
    return 0


README_START = "<!-- comparison:start (generated by python -m backtests.run_all --readme README.md) -->"
README_END = "<!-- comparison:end -->"


def update_readme(readme: Path, comparison_md: str) -> None:
    """Replace the text between the comparison markers of ``readme`` with ``comparison_md`` (its H1 dropped)."""
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        raise SystemExit(f"{readme}: comparison markers not found; expected the lines\n{README_START}\n{README_END}")
    body = "\n".join(line for line in comparison_md.splitlines() if not line.startswith("# "))
    body = body.replace("\n## ", "\n#### ").replace("\n### ", "\n#### ").strip()
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{body}\n{README_END}{tail}")


def write_comparison(results: dict, out: Path, data, seconds: float) -> Path:
    """``comparison.md`` (+ ``comparison.csv``): strategies then benchmarks, common-period stats."""
    header = "| | " + " | ".join(COLUMNS.values()) + " |\n|---|" + "---:|" * len(COLUMNS)
    lines = []
    any_res = next(iter(results.values()))
    s = any_res.settings
    c = s["costs"]
    lines.append("# Standard backtests: every shipped strategy against the benchmarks\n")
    lines.append(
        f"Reference data {data.start:%Y-%m-%d} to {data.end:%Y-%m-%d} (daily, UTC); period "
        f"{s['start'][:10]} to {s['end'][:10]}; decisions at the close of t filled at the close of t+1; "
        f"fee {c['taker_fee']:.2%}, slippage {c['slippage']:.2%} + {c['impact']} x sqrt(notional / ADV30); "
        f"365-day annualisation; turnover one-way per year; cost drag = fees + slippage of each fill over the "
        f"portfolio value then, per year; "
        f"IR = information ratio against BTC buy and hold. Regenerate: `python -m backtests.run_all`.\n"
    )
    lines.append(header)
    rows = []
    for name, r in sorted(results.items(), key=lambda kv: -(kv[1].stats["sharpe"] or -9)):
        ml = model_live_from(r)
        label = f"**{name}**" + (" (ML, see below)" if ml is not None else "")
        lines.append(_row(label, r.stats))
        rows.append({"name": name, "kind": "strategy", **r.stats})
    for b, br in any_res.benchmarks.items():
        lines.append(_row(f"_{BENCHMARK_LABELS[b]}_ (benchmark)", br.stats))
        rows.append({"name": b, "kind": "benchmark", **br.stats})
    ml_rows = [(n, r, model_live_from(r)) for n, r in results.items() if model_live_from(r) is not None]
    if ml_rows:
        lines.append("\n## ML strategies: out-of-sample honesty\n")
        lines.append(
            "Every score is produced walk-forward: at each decision the model is trained only on rows whose "
            "forward-return target had ended before the decision (with a purge gap), so each prediction is out of "
            "sample. Before the model has enough training rows the fixed signal blend is used. The strategy's "
            "design (signals, hyper-parameters, overlays) was chosen by people who had seen this whole period, so "
            "these results are **not** a clean hold-out; treat them as in-sample for the design choices. Where the "
            "fitted model went live after the start of the period, a second table restricts every line to the "
            "period in which it was live.\n"
        )
        for name, r, live in ml_rows:
            first = next(tp for tp in r.targets if tp.as_of == live)
            train = (first.diagnostics.get("signals") or {}).get("training") or {}
            lines.append(
                f"- **{name}**: fitted model live from {live:%Y-%m-%d} (first fit on {train.get('n_train', '?')} rows "
                f"from {str(train.get('train_start', '?'))[:10]} to {str(train.get('train_end', '?'))[:10]}), "
                f"refit on its own schedule (the strategy file's refit_every) until {r.equity.index[-1]:%Y-%m-%d}."
            )
            if live <= r.equity.index[0]:
                lines.append("  The model was live for the whole compared period: the main table is its out-of-sample record.\n")
                continue
            lines.append(f"\n### {name}: model live from {live:%Y-%m-%d} to {r.equity.index[-1]:%Y-%m-%d}\n")
            lines.append(header)
            sub = {name: r, **{BENCHMARK_LABELS[b]: br for b, br in r.benchmarks.items()}}
            btc = data.close["BTC"] if "BTC" in data.close.columns else None
            bench = r.benchmarks.get("btc")
            for label, x in sub.items():
                eq = x.equity.loc[live:]
                orders = x.orders[x.orders["timestamp"] >= live] if len(x.orders) else x.orders
                st = compute_stats(eq, orders=orders, holdings=x.holdings.loc[live:],
                                   benchmark=bench.equity if bench is not None and x is not bench else None,
                                   benchmark_name="btc", btc=btc)  # fmt: skip
                lines.append(_row(f"**{label}**" if x is r else f"_{label}_", st))
            lines.append("")
    lines.append(f"\n_Generated in {seconds:.0f} s; reports: `backtests/out/<strategy>/report.html`._\n")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "comparison.md"
    path.write_text("\n".join(lines))
    pd.DataFrame(rows).to_csv(out / "comparison.csv", index=False)
    (out / "comparison.json").write_text(json.dumps({"strategies": sorted(results)}, indent=1))
    return path


if __name__ == "__main__":
    raise SystemExit(main())
