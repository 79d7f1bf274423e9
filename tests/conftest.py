"""Shared fixtures: the real reference data and an isolated local cache.

Tests that need real data read ``../shared/data`` (or ``$INDEXER_SHARED_DATA``).
Where it is absent they skip with a stated reason, except under ``CI=true``
where absence is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.config import DATA_DIR_ENV, shared_data_dir

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL_ENV = "INDEXER_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def require(condition: bool, reason: str) -> None:
    """Skip with ``reason`` on a user's machine; fail under CI=true."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point INDEXER_DATA_DIR at a session temp dir so tests never touch a user's cache."""
    path = tmp_path_factory.mktemp("indexer-cache")
    old = os.environ.get(DATA_DIR_ENV)
    os.environ[DATA_DIR_ENV] = str(path)
    yield path
    if old is None:
        os.environ.pop(DATA_DIR_ENV, None)
    else:
        os.environ[DATA_DIR_ENV] = old


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public reference data directory (../shared/data)."""
    path = shared_data_dir()
    require(path.is_dir(), f"reference data not found at {path} (set INDEXER_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def reference(shared_data: Path, _isolated_cache: Path):
    """The reference ``MarketData``, imported once per session from ../shared/data."""
    from indexer.data import load_reference

    return load_reference(source=shared_data)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A reachable PostgreSQL URL (skips off-CI when no server answers)."""
    url = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
    try:
        import sqlalchemy as sa

        eng = sa.create_engine(url)
        with eng.connect() as conn:
            conn.execute(sa.text("select 1"))
        eng.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means no usable server
        require(False, f"PostgreSQL not reachable at {url}: {exc}")
    return url
