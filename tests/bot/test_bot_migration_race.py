"""Concurrent starts on a new database: the schema migration is serialised (real processes)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from botkit import env_for_subprocess, write_config

from indexer.bot.database import HEAD

_STARTER = """
import sys, time
t0 = float(sys.argv[2])
from indexer.bot.database import Store
import alembic.command, alembic.config, alembic.runtime.migration  # imported up front: the race is on the DDL
while time.time() < t0:
    time.sleep(0.001)
s = Store(sys.argv[1])
print(s.revision)
s.close()
"""


def _race(url: str, n: int = 6) -> list[subprocess.CompletedProcess]:
    t0 = time.time() + 4.0  # every process imports first, then all migrate at the same instant
    procs = [subprocess.Popen([sys.executable, "-c", _STARTER, url, str(t0)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env_for_subprocess()) for _ in range(n)]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=120), *p.communicate()) for p in procs]


@pytest.fixture
def fresh_pg(postgres_url: str):
    name = f"indexer_i17_race_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_concurrent_first_starts_all_migrate_cleanly(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite'}" if dialect == "sqlite" else request.getfixturevalue("fresh_pg")
    results = _race(url)
    for r in results:
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == HEAD
        assert "already exists" not in r.stderr and "Traceback" not in r.stderr


def test_two_bot_once_on_a_new_account_do_not_race(tmp_path: Path, reference) -> None:
    cfg = write_config(tmp_path / "bot.yaml", db_url=f"sqlite:///{tmp_path / 'acct.sqlite'}")
    procs = [subprocess.Popen([sys.executable, "-m", "indexer", "bot", "once", str(cfg)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env_for_subprocess()) for _ in range(2)]
    outs = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for rc, out, err in outs:
        assert "Traceback" not in err and "already exists" not in err, err
        assert rc in (0, 2), (rc, out, err)
        if rc == 2:  # the loser is refused in one line by the account lock, never by the migration
            assert "locked by another bot" in err and len(err.strip().splitlines()) == 1
    assert any(rc == 0 for rc, _, _ in outs)
    eng = sa.create_engine(f"sqlite:///{tmp_path / 'acct.sqlite'}")
    with eng.connect() as c:
        done = c.execute(sa.text("select count(*) from bot_runs where status = 'done'")).scalar()
    assert done == 1
