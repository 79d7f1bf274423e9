"""Helpers shared by CLI commands: error reporting and the rich console.

Every refusal is one red line on stderr and exit code 2 (``handle_errors``):
:class:`IndexerError` messages are folded to one line (several problems are
joined with ``; ``), and an operating-system error on a file names the file.
Warnings indexer gives on purpose (:class:`IndexerWarning`: a UTF-8 byte-order
mark skipped, a damaged cache rebuilt) are shown as one yellow line.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from indexer.exceptions import IndexerError

__all__ = ["console", "err_console", "handle_errors", "one_line", "refuse"]

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def one_line(text: str) -> str:
    """``text`` with its lines joined by ``; `` (an error stays one line in a terminal or a log)."""
    parts = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return "; ".join(parts)


def refuse(message: str, kind: str = "error") -> typer.Exit:
    """Print ``message`` as one red line and return the ``typer.Exit(2)`` to raise."""
    from rich.markup import escape

    err_console.print(f"[bold red]{kind}:[/] {escape(one_line(message))}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _show_warning(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    from rich.markup import escape

    err_console.print(f"[yellow]warning:[/] {escape(one_line(str(message)))}", highlight=False, soft_wrap=True)


def handle_errors(func: F) -> F:
    """Turn :class:`IndexerError` (and file-system errors) into a one-line red message and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from indexer.exceptions import IndexerWarning

        with warnings.catch_warnings():
            warnings.simplefilter("always", IndexerWarning)
            previous = warnings.showwarning
            warnings.showwarning = lambda m, c, *a, **k: (
                _show_warning(m, c, *a, **k) if issubclass(c, IndexerWarning) else previous(m, c, *a, **k)
            )
            try:
                return func(*args, **kwargs)
            except IndexerError as exc:
                raise refuse(f"{type(exc).__name__}: {exc}") from None
            except (IsADirectoryError, NotADirectoryError, FileExistsError, FileNotFoundError, PermissionError) as exc:
                where = exc.filename if exc.filename is not None else "a file"
                raise refuse(f"{type(exc).__name__}: {where}: {exc.strerror or exc}") from None

    return wrapper  # type: ignore[return-value]


def _one_line_usage_error(exc: Any) -> None:
    """Usage errors (bad option, missing file argument) as one red line instead of a rich box."""
    if exc.__class__.__name__ == "NoArgsIsHelpError":
        return
    from rich.markup import escape

    ctx = getattr(exc, "ctx", None)
    hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
    err_console.print(f"[bold red]error:[/] {escape(one_line(exc.format_message()))}{escape(hint)}", highlight=False, soft_wrap=True)


def _install_usage_errors() -> None:
    from typer import rich_utils

    rich_utils.rich_format_error = _one_line_usage_error  # type: ignore[assignment]


_install_usage_errors()
