"""``indexer validate`` and ``indexer strategy show|target``: check and inspect strategy files."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from indexer.cli.common import console, handle_errors

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``validate`` command and the ``strategy`` command group to ``app``."""
    @app.command("validate")
    @handle_errors
    def validate(
        strategies: list[Path] = typer.Argument(..., help="Strategy YAML file(s) to validate."),
        with_data: bool = typer.Option(
            False, "--data", help="Also check what needs prices (target return against the reference data)."
        ),
    ) -> None:
        """Validate strategy files: schema, values, asset names and feasibility of the constraints (exit 2 if any is bad)."""
        from rich.markup import escape

        from indexer.cli.common import err_console, one_line
        from indexer.exceptions import ConfigError
        from indexer.strategy import Strategy

        bad = 0
        for path in strategies:
            try:
                s = Strategy.from_yaml(path)
            except ConfigError as exc:
                bad += 1
                err_console.print(f"[bold red]invalid[/] {escape(one_line(str(exc)))}", highlight=False, soft_wrap=True)
                continue
            spec = s.spec
            from indexer.strategy.feasibility import feasibility_problems, target_return_problems

            problems = feasibility_problems(spec)
            if with_data and not problems:
                from indexer.data import load_reference

                problems = target_return_problems(spec, load_reference())
            if problems:
                bad += 1
                msg = "; ".join(f"{path}: {p}" for p in problems)
                err_console.print(f"[bold red]infeasible[/] {escape(msg)}", highlight=False, soft_wrap=True)
                continue
            extra = f", signals: {', '.join(_signal_names(spec.signals))}" if spec.signals is not None else ""
            ovs = ", ".join(o.name for o in spec.overlays) or "none"
            console.print(
                f"[green]ok[/] {path}: {s.name} (optimiser {spec.optimiser.objective}{extra}; "
                f"rebalance {spec.rebalance.every}; overlays {ovs}; lookback {s.lookback} bars)",
                highlight=False,
            )
        if bad:
            raise typer.Exit(code=2)

    group = typer.Typer(help="Inspect strategy files and ask them for a target portfolio.", no_args_is_help=True)
    app.add_typer(group, name="strategy")

    @group.command("list")
    @handle_errors
    def list_(
        folder: Path = typer.Argument(Path("strategies"), help="Folder of strategy YAML files."),
    ) -> None:
        """List the strategy files of FOLDER with their methodology (first sentence of the description)."""
        from rich.table import Table

        from indexer.exceptions import ConfigError
        from indexer.strategy import Strategy

        files = sorted(folder.glob("*.yaml"))
        if not files:
            raise ConfigError(f"{folder}: no *.yaml strategy files")
        table = Table(title=f"strategies in {folder}")
        for col in ("name", "rebalance", "optimiser", "overlays"):
            table.add_column(col, no_wrap=True)
        table.add_column("about", overflow="ellipsis", no_wrap=True, max_width=70)
        for path in files:
            s = Strategy.from_yaml(path)
            about = " ".join(s.spec.description.split()).split(": ")[0].split(". ")[0]
            table.add_row(s.name, s.spec.rebalance.every, s.spec.optimiser.objective,
                          ", ".join(o.name for o in s.spec.overlays) or "-", about)
        console.print(table)

    @group.command("show")
    @handle_errors
    def show(strategy: Path = typer.Argument(..., help="Strategy YAML file.")) -> None:
        """Print the fully resolved strategy (every default filled in) as JSON."""
        from indexer.strategy import Strategy

        s = Strategy.from_yaml(strategy)
        console.print_json(json.dumps(s.spec.model_dump(mode="json")))

    @group.command("target")
    @handle_errors
    def target(
        strategy: Path = typer.Argument(..., help="Strategy YAML file."),
        as_of: str | None = typer.Option(None, "--as-of", help="Decision date (UTC, e.g. 2024-06-01); default: last bar."),
        as_json: bool = typer.Option(False, "--json", help="Print the whole TargetPortfolio (with diagnostics) as JSON."),
    ) -> None:
        """Target weights of STRATEGY at --as-of on the reference data (cache or ../shared/data)."""
        from rich.table import Table

        from indexer.config import shared_data_dir
        from indexer.data import load_reference
        from indexer.strategy import Strategy

        s = Strategy.from_yaml(strategy)
        shared = shared_data_dir()
        data = load_reference(source=shared if shared.is_dir() else None)
        tp = s.target(data, as_of if as_of is not None else data.end)
        if as_json:
            console.print_json(json.dumps(tp.to_dict()))
            return
        table = Table(title=f"{s.name} at {tp.as_of:%Y-%m-%d} (UTC)")
        table.add_column("asset")
        table.add_column("weight", justify="right")
        for asset, w in tp.weights.sort_values(ascending=False).items():
            if w > 0:
                table.add_row(str(asset), f"{w:.2%}")
        console.print(table)
        for info in tp.diagnostics.get("overlays", []):
            console.print(f"overlay {info.get('name')}: exposure {info.get('exposure')}", highlight=False)
        for entry in tp.diagnostics.get("compliance_log", []):
            console.print(f"compliance: {entry['rule']} {entry['asset']}: {entry['detail']}", highlight=False)


def _signal_names(signals: object) -> list[str]:
    names = getattr(signals, "signals", None)
    if isinstance(names, (list, tuple)):
        return [getattr(x, "name", str(x)) for x in names]
    if isinstance(names, dict):
        return list(names)
    return [type(signals).__name__]
