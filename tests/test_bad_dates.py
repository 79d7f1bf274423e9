"""A date a user types wrong gets one clear error naming it, wherever it enters (library and CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from indexer import DataError
from indexer.data import to_utc

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("bad", ["notadate", "2024-13-45", "", None])
def test_to_utc_names_the_bad_value(bad) -> None:
    with pytest.raises(DataError, match="cannot read .* as a date/time"):
        to_utc(bad)


def test_to_utc_normalises_to_utc() -> None:
    assert to_utc("2024-06-30") == pd.Timestamp("2024-06-30", tz="UTC")
    assert to_utc(pd.Timestamp("2024-06-30 02:00", tz="Europe/Berlin")) == pd.Timestamp("2024-06-30", tz="UTC")


def test_until_and_backtest_reject_bad_dates(reference) -> None:
    import indexer

    with pytest.raises(DataError, match="'2024-02-30'"):
        reference.until("2024-02-30")
    with pytest.raises(DataError, match="'someday'"):
        indexer.backtest("strategies/top10_capped.yaml", reference, start="someday", benchmarks=False)


@pytest.mark.parametrize(
    "args",
    [
        ["backtest", "strategies/top10_capped.yaml", "--start", "notadate", "--no-report"],
        ["strategy", "target", "strategies/top10_capped.yaml", "--as-of", "2024-13-45"],
    ],
)
def test_cli_bad_date_is_one_line_exit_2(args: list[str], reference, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "indexer", *args, *(["--out", str(tmp_path)] if args[0] == "backtest" else [])],
                          cwd=REPO, env={**os.environ, "COLUMNS": "300"}, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "as a date/time" in proc.stderr
