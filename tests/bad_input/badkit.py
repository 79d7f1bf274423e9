"""Helpers of the bad-input corpus (imported as ``badkit``): run a CLI command in-process, check the refusal."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]
GOOD_STRATEGY = "name: t\nuniverse: {top_n: 5, min_history_days: 30}\noptimiser: {objective: market_cap}\n"


@dataclass
class Refusal:
    code: int
    stdout: str
    stderr: str


def snapshot(*roots: Path) -> set[str]:
    """Every file and folder under ``roots`` (to prove nothing was written)."""
    out: set[str] = set()
    for root in roots:
        if root.exists():
            for dirpath, dirnames, filenames in os.walk(root):
                out.update(os.path.join(dirpath, n) for n in dirnames + filenames)
    return out


def make_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Refusal]:
    """``cli(args)`` runs ``indexer ARGS`` in ``tmp_path`` and returns exit code, stdout, stderr."""
    from indexer.cli.main import app

    monkeypatch.chdir(tmp_path)

    def run(args: list[str]) -> Refusal:
        res = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            raise AssertionError(f"indexer {' '.join(map(str, args))} raised {res.exception!r}") from res.exception
        return Refusal(res.exit_code, res.stdout, res.stderr)

    return run


def assert_refused(r: Refusal, *needles: str) -> None:
    """Exit code 2, no traceback, one line on stderr naming every needle."""
    assert r.code == 2, f"exit {r.code}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    text = r.stdout + r.stderr
    assert "Traceback" not in text
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line, got:\n{r.stderr}"
    for n in needles:
        assert n in lines[0], f"{n!r} not in: {lines[0]}"
