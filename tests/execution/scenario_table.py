"""The closing table of issue 12: each real-account scenario through ``indexer rebalance --live`` (CLI) and
``indexer bot once`` (bot), measured by the scenario tests.

Regenerate (about 2 minutes; runs both scenario suites and prints the markdown table)::

    .venv/bin/python tests/execution/scenario_table.py                      # print
    .venv/bin/python tests/execution/scenario_table.py --write docs/execution.md

The tests call :func:`record` for every scenario; rows go to the JSON-lines file named by
``$INDEXER_SCENARIO_ROWS`` when it is set (this script sets it), else nowhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROWS_ENV = "INDEXER_SCENARIO_ROWS"
START, END = "<!-- scenario-table:start -->", "<!-- scenario-table:end -->"
SUITES = ("tests/execution/test_scenarios.py", "tests/bot/test_bot_scenarios.py")
COLUMNS = ("scenario", "path", "exit code", "tracking error", "orders sent / rejected",
           "rerun orders (same decision / asked again)")


def record(path: str, scenario: str, *, exit: Any, te: Any, sent: int, rejected: int, rerun: Any = "") -> None:
    """One row: ``path`` CLI or bot; ``te`` a fraction (or a (before, after) pair); ``rerun`` orders of
    the immediate reruns, e.g. ``"0 / 0"`` (the bar's decision reused / the strategy asked again)."""
    target = os.environ.get(ROWS_ENV)
    if not target:
        return
    row = {"scenario": scenario, "path": path, "exit": exit, "te": te, "sent": sent, "rejected": rejected,
           "rerun": rerun}
    with open(target, "a") as f:
        f.write(json.dumps(row) + "\n")


def _pct(x: Any) -> str:
    if isinstance(x, (list, tuple)):
        return " -> ".join(_pct(v) for v in x)
    return f"{100 * float(x):.2f} %"


def _cell(x: Any) -> str:
    if isinstance(x, (list, tuple)):
        return " then ".join(map(str, x))
    return str(x)


def render(rows: list[dict[str, Any]]) -> str:
    """The markdown table, scenarios in the order recorded, CLI before bot."""
    order = {r["scenario"]: i for i, r in reversed(list(enumerate(rows)))}
    rows = sorted(rows, key=lambda r: (order[r["scenario"]], r["path"] != "CLI"))
    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        out.append(f"| {r['scenario']} | {r['path']} | {_cell(r['exit'])} | {_pct(r['te'])} | "
                   f"{r['sent']} / {r['rejected']} | {_cell(r['rerun'])} |")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    repo = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as tmp:
        rows_file = Path(tmp) / "rows.jsonl"
        env = {**os.environ, ROWS_ENV: str(rows_file)}
        res = subprocess.run([sys.executable, "-m", "pytest", *SUITES, "-q", "-p", "no:randomly"], cwd=repo, env=env)
        rows = [json.loads(line) for line in rows_file.read_text().splitlines()] if rows_file.exists() else []
    table = render(rows)
    print(table)
    if "--write" in argv:
        doc = repo / argv[argv.index("--write") + 1]
        text = doc.read_text()
        if START not in text or END not in text:
            print(f"{doc}: no {START} ... {END} markers", file=sys.stderr)
            return 2
        head, rest = text.split(START, 1)
        doc.write_text(head + START + "\n" + table + "\n" + END + rest.split(END, 1)[1])
    return res.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
