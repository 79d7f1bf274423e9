"""The ``indexer`` command line (typer + rich).

Each area owns one module under ``indexer.cli`` exposing ``register(app)``;
heavy imports happen inside the commands so ``indexer --help`` stays fast.
"""

from __future__ import annotations

from importlib import import_module

import typer

__all__ = ["app", "main"]

app = typer.Typer(
    name="indexer",
    help="AI-assisted crypto index fund rebalancer: data, signals, backtests, rebalancing, bot.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Modules that add commands, in the order they appear in ``--help``.
COMMAND_MODULES = (
    "demo",
    "backtest",
    "strategy",
    "data",
    "signals",
    "sweep",
    "rebalance",
    "exchange_sim",
    "bot",
    "research",
)

for _name in COMMAND_MODULES:
    try:
        _mod = import_module(f"indexer.cli.{_name}")
    except ModuleNotFoundError as exc:  # a command module not yet present in this checkout
        if exc.name != f"indexer.cli.{_name}":
            raise
        continue
    _mod.register(app)


def main() -> None:
    """Entry point for ``python -m indexer``."""
    app()


if __name__ == "__main__":
    main()
