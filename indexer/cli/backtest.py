"""``indexer backtest STRATEGY``: walk-forward backtest on the reference data, stats table, report files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from indexer.cli.common import console, err_console, handle_errors

if TYPE_CHECKING:  # pragma: no cover
    from indexer.backtesting import BacktestResult

__all__ = ["register", "print_stats"]


def print_stats(result: BacktestResult) -> None:
    """Print the stats table: the strategy against each benchmark (rich)."""
    from rich.table import Table

    from indexer.backtesting.benchmarks import BENCHMARK_SHORT
    from indexer.backtesting.format import display_table

    stats = {result.name: result.stats, **{BENCHMARK_SHORT.get(k, k): b.stats for k, b in result.benchmarks.items()}}
    df = display_table(stats, short=True)
    s = result.settings
    table = Table(
        title=f"{result.name}: {s.get('start', '')[:10]} to {s.get('end', '')[:10]} (365-day annualisation)",
        header_style="bold",
    )
    table.add_column("stat", no_wrap=True)
    for i, col in enumerate(df.columns):
        table.add_column(col, justify="right", no_wrap=True, style="bold cyan" if i == 0 else None)
    for label, row in df.iterrows():
        table.add_row(str(label), *row.tolist())
    console.print(table)
    for name, msg in (s.get("benchmark_errors") or {}).items():
        err_console.print(f"[yellow]benchmark {name} not run:[/] {msg}")
    for msg in s.get("stat_warnings") or []:
        err_console.print(f"[yellow]warning:[/] {msg}", highlight=False)
    cash_days = s.get("cash_decisions") or []
    if cash_days:
        err_console.print(
            f"[yellow]{len(cash_days)} decision(s) held 100% CASH (empty universe, empty_universe: cash):[/] "
            + ", ".join(cash_days), highlight=False, soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    """Add the ``backtest`` command to ``app``."""
    @app.command("backtest")
    @handle_errors
    def backtest_cmd(
        strategy: Path = typer.Argument(..., help="Strategy YAML file.", exists=False),
        start: str | None = typer.Option(None, help="First decision date (UTC, YYYY-MM-DD); default: once the lookback is filled."),
        end: str | None = typer.Option(None, help="Last bar (UTC, YYYY-MM-DD); default: end of data."),
        fees: float = typer.Option(0.001, help="Taker fee, fraction of each fill's notional (0.001 = 10 bps)."),
        maker_fee: float | None = typer.Option(None, help="Maker fee (fraction); used for --maker-share of the notional."),
        maker_share: float = typer.Option(0.0, help="Fraction of traded notional filled passively at the maker fee."),
        slippage: float = typer.Option(0.0005, help="Fixed slippage, fraction of the close."),
        impact: float = typer.Option(0.0, help="Impact coefficient k: extra slippage k*sqrt(notional/ADV)."),
        min_trade: float = typer.Option(0.0, "--min-trade", help="Skip trades below this notional (USD)."),
        init_cash: float = typer.Option(100_000.0, help="Initial capital (USD)."),
        execution: str = typer.Option("next_close", help="next_close (default) or same_close (look-ahead test)."),
        drift_abs: float | None = typer.Option(None, help="Rebalance when a weight drifts more than this (fraction)."),
        drift_rel: float | None = typer.Option(None, help="Rebalance when a weight drifts more than this share of its target."),
        benchmark: str = typer.Option("btc", help="Benchmark for tracking error / information ratio."),
        benchmarks: bool = typer.Option(True, "--benchmarks/--no-benchmarks", help="Run the four standard benchmarks."),
        out: Path | None = typer.Option(
            None, "--out", "-o",
            help="Output folder, new or empty (default out/backtest/<strategy>, replaced each run); written atomically.",
        ),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace an --out folder that holds another run's outputs."),
        report: bool = typer.Option(True, "--report/--no-report", help="Write report.html (interactive charts, offline)."),
        png: bool = typer.Option(False, "--png/--no-png", help="Also write equity/drawdown/weights/monthly PNG charts (matplotlib, a few seconds)."),
        attribution: bool = typer.Option(
            False, "--attribution", help="Also run the ablations (overlay off, equal signal weights, risk weighting, cap weights) into the report."
        ),
    ) -> None:
        """Backtest STRATEGY on the reference data; print stats; write weights/equity CSV, stats JSON, HTML report (PNGs with --png)."""
        import sys

        from indexer.backtesting import CostModel, backtest, load_strategy
        from indexer.backtesting.outdir import check_out_dir, write_run
        from indexer.data import load_reference

        strat = load_strategy(strategy)
        out_dir = out if out is not None else Path("out") / "backtest" / strat.name
        replace = overwrite or out is None  # the default folder is indexer's own: replaced each run
        check_out_dir(out_dir, overwrite=replace)
        data = load_reference()
        costs = CostModel(taker_fee=fees, maker_fee=maker_fee, maker_share=maker_share, slippage=slippage,
                          impact=impact, min_trade_usd=min_trade)  # fmt: skip
        result = backtest(
            strat, data, start=start, end=end, costs=costs, init_cash=init_cash, execution=execution,  # type: ignore[arg-type]
            drift_abs=drift_abs, drift_rel=drift_rel, benchmark=benchmark, benchmarks=benchmarks, progress=True,
        )  # fmt: skip
        print_stats(result)
        if attribution:
            from indexer.backtesting.attribution import attach_attribution

            with console.status("ablations for the attribution ..."):
                table = attach_attribution(result, strat, data, costs=costs, init_cash=init_cash, execution=execution,
                                           drift_abs=drift_abs, drift_rel=drift_rel)  # fmt: skip
            console.print(table.to_string(float_format=lambda v: f"{v:+.3f}"), highlight=False)
        if start is not None:
            from indexer.data.market import to_utc

            first = result.settings.get("start", "")[:10]
            if first and first != f"{to_utc(start):%Y-%m-%d}":
                err_console.print(
                    f"[yellow]note:[/] the first decision is {first}, not --start {start}: the strategy needs "
                    f"{getattr(strat, 'lookback', '?')} bars of history (or {start} is not a bar)", highlight=False, soft_wrap=True,
                )
        paths = write_run(result, out_dir, data=data, overwrite=replace, html=report, png=png, command=sys.argv[1:])
        m = result.settings["manifest"]
        console.print(f"[green]wrote[/] {len(paths)} files to {out_dir.resolve()}")
        console.print(
            f"  manifest run.json: strategy {m['strategy_sha256']}, data {m['data_fingerprint']}, "
            f"{m['written_at_utc']}", highlight=False,
        )
        for name in ("report", "weights", "equity", "stats"):
            if name in paths:
                console.print(f"  {name:<8} {paths[name]}")
