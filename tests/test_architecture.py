"""The layer rules of ARCHITECTURE.md hold (import-linter) and the public API is importable."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import indexer
from indexer import CASH, TargetPortfolio
from indexer.exceptions import OptimisationError

REPO = Path(__file__).resolve().parents[1]


def test_import_layers_contract_is_kept() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(exe)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_every_public_name_resolves() -> None:
    missing = [name for name in indexer.__all__ if name != "__version__" and getattr(indexer, name, None) is None]
    assert missing == []


def test_strategies_backtests_notebooks_use_public_api_only() -> None:
    offenders = []
    for folder in ("strategies", "backtests", "notebooks"):
        for path in (REPO / folder).rglob("*"):
            if path.suffix in {".py", ".ipynb"}:
                text = path.read_text()
                for bad in re.findall(r"indexer(?:\.\w+)*\._[a-z]\w*", text):
                    offenders.append(f"{path.relative_to(REPO)}: {bad}")
    assert offenders == []


def test_target_portfolio_adds_cash_and_normalises() -> None:
    tp = TargetPortfolio(pd.Timestamp("2024-01-01", tz="UTC"), pd.Series({"BTC": 0.6, "ETH": 0.4}))
    assert tp.cash == 0.0
    assert list(tp.weights.index) == ["BTC", "ETH", CASH]
    assert tp.invested.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    "weights, match",
    [
        ({"BTC": 0.7, "ETH": 0.4}, "sum to 1"),
        ({"BTC": 1.2, "ETH": -0.2}, ">= 0"),
        ({"BTC": float("nan"), "ETH": 1.0}, "not finite"),
    ],
)
def test_target_portfolio_rejects_bad_weights(weights: dict, match: str) -> None:
    with pytest.raises(OptimisationError, match=match):
        TargetPortfolio(pd.Timestamp("2024-01-01", tz="UTC"), pd.Series(weights))


def test_target_portfolio_rejects_naive_time() -> None:
    with pytest.raises(ValueError, match="UTC"):
        TargetPortfolio(pd.Timestamp("2024-01-01"), pd.Series({"BTC": 1.0}))
