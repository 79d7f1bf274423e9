"""Fixtures of the bot tests: a loopback exchange simulator, databases, a webhook receiver."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botkit import API_KEY, API_SECRET, HOOK_TOKEN, BotProcesses, Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="session")
def bot_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcesses]:
    """Real ``indexer`` child processes forked from one warm parent (imports paid once)."""
    p = BotProcesses(tmp_path_factory.mktemp("bot-processes"))
    yield p
    p.close()


@pytest.fixture(scope="session")
def last_close(reference) -> dict[str, float]:
    from indexer.execution.market_info import last_prices

    return last_prices(reference)


@pytest.fixture
def sim(last_close):
    """A fresh simulator account with 10,000 USDT and known keys."""
    from indexer.sim import SimServer

    s = SimServer(last_close, {"USDT": 10_000}, api_key=API_KEY, api_secret=API_SECRET).start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def pg_database(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database created for this test session and dropped after it."""
    import sqlalchemy as sa

    name = f"indexer_bot_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test runs on a fresh SQLite file and on the session's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.sqlite'}"
    return request.getfixturevalue("pg_database")


@pytest.fixture(autouse=True)
def _sim_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SIM_KEY", API_KEY)
    monkeypatch.setenv("TEST_SIM_SECRET", API_SECRET)
    monkeypatch.setenv("TEST_HOOK_URL_TOKEN", HOOK_TOKEN)


