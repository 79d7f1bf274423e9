"""Fixtures of the bad-input corpus (helpers live in ``badkit.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from badkit import Refusal, make_cli


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Refusal]:
    """``cli(args)`` runs ``indexer ARGS`` in ``tmp_path`` and returns exit code, stdout, stderr."""
    return make_cli(tmp_path, monkeypatch)
