"""``indexer sweep SWEEP.yaml``: grid / random search over strategy parameters, locally or on Dask."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import typer

from indexer.cli.common import console, handle_errors

__all__ = ["register"]


def _param_labels(params: Iterable[str]) -> dict[str, str]:
    """Shortest unique tail of each dotted parameter path (``news_sentiment.weight`` when ``weight`` repeats)."""
    keys = list(params)
    out = {}
    for k in keys:
        parts = k.split(".")
        for n in range(1, len(parts) + 1):
            tail = ".".join(parts[-n:])
            if sum(".".join(x.split(".")[-n:]) == tail for x in keys) == 1:
                break
        out[k] = tail
    return out


def register(app: typer.Typer) -> None:
    """Add the ``sweep`` command to ``app``."""
    @app.command("sweep")
    @handle_errors
    def sweep_cmd(
        sweep_file: Path = typer.Argument(..., help="Sweep YAML (strategy, params as dotted paths, metric, costs)."),
        scheduler: str | None = typer.Option(None, help="Dask scheduler address, e.g. tcp://HOST:8786, or local:N for a LocalCluster of N workers on 127.0.0.1 (default: run in this process)."),
        out: Path | None = typer.Option(
            None, "--out", "-o", help="Output folder, new or empty (default out/sweep/<file stem>, replaced each run)."
        ),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace an --out folder that already holds files."),
        top: int = typer.Option(15, help="Rows of the ranked table to print."),
    ) -> None:
        """Run every parameter set of SWEEP_FILE; write results.parquet/.csv ranked by the metric, with deflated Sharpe."""
        from rich.table import Table

        from indexer.backtesting.outdir import atomic_folder, check_out_dir
        from indexer.backtesting.sweep import load_sweep, run_sweep

        spec, strat = load_sweep(sweep_file)
        out_dir = out if out is not None else Path("out") / "sweep" / sweep_file.stem
        replace = overwrite or out is None
        check_out_dir(out_dir, overwrite=replace)  # refuse before hours of computing
        res = run_sweep((spec, strat), scheduler=scheduler, progress=True)
        with atomic_folder(out_dir, overwrite=replace) as tmp:
            paths = {k: out_dir / Path(v).name for k, v in res.save(tmp).items()}
        t = res.table.head(top)
        varied = [c for c in ("fees", "slippage") if res.table[c].nunique() > 1]
        shown = [*spec.params, *varied, "sharpe", "deflated_sharpe", "cagr", "max_drawdown", "turnover_annual"]
        if spec.metric not in shown:
            shown.append(spec.metric)
        short = {"deflated_sharpe": "DSR", "max_drawdown": "maxDD", "turnover_annual": "turnover", **_param_labels(spec.params)}
        table = Table(title=f"{sweep_file.name}: {res.n_trials} runs ranked by {spec.metric} "
                            f"(DSR benchmark Sharpe {res.sr0_annual:.2f} ann.)", padding=(0, 1), box=None)  # fmt: skip
        table.add_column("#", justify="right", no_wrap=True, min_width=2)
        for c in shown:
            table.add_column(short.get(c, c), justify="right", no_wrap=True)
        for rank, row in t.iterrows():
            cells = []
            for c in shown:
                v = row[c]
                cells.append(f"{v:.3g}" if isinstance(v, float) else str(v))
            table.add_row(str(rank), *cells)
        console.print(table)
        b = res.best
        params = ", ".join(f"{short[k]}={b[k]}" for k in spec.params)
        console.print(f"best of {res.n_trials}: trial {b['trial']} ({params}): Sharpe {b['sharpe']:.2f}, "
                      f"deflated Sharpe {b['deflated_sharpe']:.2f} (probability its true Sharpe beats the best of "
                      f"{res.n_trials} unskilled trials)")  # fmt: skip
        console.print(f"[green]wrote[/] {paths['parquet']} and {paths['csv']}")
