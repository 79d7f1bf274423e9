"""``indexer demo``: the main job — backtest the flagship strategy on real market history, with its report."""

from __future__ import annotations

from pathlib import Path

import typer

from indexer.cli.common import console, err_console, handle_errors

__all__ = ["register", "FLAGSHIP"]

REPO = Path(__file__).resolve().parents[2]
#: The flagship strategy file ``make demo`` runs.
FLAGSHIP = REPO / "strategies" / "ai_index.yaml"


def _obtain_data(fetch_exchange: str):
    """Load the reference data from the local cache, else ../shared/data, else a ccxt download; say which."""
    from indexer.config import data_dir, shared_data_dir
    from indexer.data import load_reference, reference_cached
    from indexer.exceptions import DataError

    cache = data_dir()
    if reference_cached(cache):
        console.print(f"[green]data:[/] using the local cache at {cache}")
        return load_reference()
    shared = shared_data_dir()
    if shared.is_dir():
        console.print(f"[green]data:[/] no local cache yet; importing the reference data from {shared} into {cache}")
        return load_reference(source=shared)
    console.print(
        f"[yellow]data:[/] no local cache at {cache} and no reference data at {shared}; "
        f"downloading daily history from {fetch_exchange} with ccxt"
    )
    from indexer.data import fetch_reference

    try:
        fetch_reference(exchange=fetch_exchange)
    except DataError as exc:
        raise DataError(
            f"no data source could be reached: cache {cache} is empty, {shared} does not exist, "
            f"and the download from {fetch_exchange} failed ({exc})"
        ) from exc
    return load_reference()


DEMO_OUT = Path("out/demo")


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""
    @app.command("demo")
    @handle_errors
    def demo(
        strategy: Path = typer.Option(FLAGSHIP, "--strategy", "-s", help="Strategy YAML to run (default: the flagship)."),
        out: Path = typer.Option(
            DEMO_OUT, "--out", "-o",
            help="Folder for the report, CSV/JSON outputs and run.json, written atomically (default out/demo, replaced each run).",
        ),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace an --out folder that holds another run's outputs."),
        exchange: str = typer.Option("binance", help="ccxt exchange to download from when no local data exists."),
    ) -> None:
        """Backtest the flagship strategy on real history and write its HTML report.

        Data comes from the local cache, else ../shared/data, else a ccxt download.
        """
        from indexer.backtesting import run_and_report
        from indexer.cli.backtest import print_stats

        data = _obtain_data(exchange)
        console.print(
            f"[green]backtest:[/] {strategy} on {len(data.symbols)} assets, "
            f"{data.start:%Y-%m-%d} to {data.end:%Y-%m-%d} (UTC, daily)"
        )
        result, paths = run_and_report(strategy, out, data=data, overwrite=overwrite or out == DEMO_OUT)
        print_stats(result)
        console.print("[green]outputs:[/]")
        for name, path in paths.items():
            console.print(f"  {name:<12} {path}")
        if "report" not in paths:
            err_console.print("[red]no HTML report was written[/]")
            raise typer.Exit(code=1)
