"""The ``indexer`` command line (typer + rich).

Each area owns one module under ``indexer.cli`` exposing ``register(app)``;
heavy imports happen inside the commands so ``indexer --help`` stays fast.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from importlib import import_module
from typing import NoReturn

import typer

__all__ = ["app", "main", "fast_exit"]

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
    """Entry point of the ``indexer`` command and ``python -m indexer``: run the command, then exit fast.

    A finished command's process ends without the interpreter's teardown of every module (half a second
    after pandas, numba, scipy and plotly are loaded): streams are flushed and ``atexit`` handlers run
    first, as on a normal exit.  With other non-daemon threads still running, or under a profiler
    (``python -m cProfile -m indexer ...``) or debugger, it exits normally.
    """
    os.environ.setdefault("INDEXER_NO_WIDGETS", "1")  # no notebook widgets here: vectorbt imports faster
    try:
        app()
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    fast_exit(code)


def fast_exit(code: int | str | None) -> NoReturn:
    """Exit with ``code`` (as ``sys.exit``) after flushing the streams and running ``atexit`` handlers."""
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    status = 0 if code is None else int(code)
    others = any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread())
    if others or sys.getprofile() is not None or sys.gettrace() is not None:  # a profiler or debugger writes on exit
        sys.exit(status)
    atexit._run_exitfuncs()  # logging, dask, coverage, ...: what a normal exit runs first
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed pipe or stream: nothing left to write to
            pass
    os._exit(status)


if __name__ == "__main__":
    main()
