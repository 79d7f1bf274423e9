"""Every ``indexer`` command and sub-command answers ``--help`` with a description."""

from __future__ import annotations

import click
import typer
from typer.testing import CliRunner

from indexer.cli.main import app


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in group.commands.items():
        path = prefix + (name,)
        out.append(path)
        if getattr(cmd, "commands", None):
            out.extend(_commands(cmd, path))
    return out


def test_every_command_has_help() -> None:
    root = typer.main.get_command(app)
    paths = _commands(root)
    names = {p[0] for p in paths}
    assert {"demo", "backtest", "validate", "data", "signals", "sweep", "rebalance", "exchange-sim", "bot"} <= names
    runner = CliRunner()
    missing = []
    for path in paths:
        res = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        cmd = root
        for part in path:
            cmd = cmd.commands[part]
        if res.exit_code != 0 or not (cmd.help or "").strip():
            missing.append(" ".join(path))
    assert missing == [], f"commands without working --help text: {missing}"
    assert len(paths) >= 20
