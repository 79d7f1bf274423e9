"""Single-instance lock per account: a file lock, plus a PostgreSQL advisory lock when the state is there.

Both are released by the operating system / the server when the process dies,
even by ``kill -9``, so a restarted bot never waits for a dead one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from filelock import FileLock, Timeout

from indexer.exceptions import ConfigError

__all__ = ["AccountLock", "AlreadyRunning"]


class AlreadyRunning(ConfigError):
    """Another bot process holds this account's lock."""


class AccountLock:
    """Hold the account's lock for the lifetime of a ``with`` block.

    Parameters
    ----------
    path
        Lock file (one per account).
    account
        Account name (the advisory lock key is derived from it).
    engine
        The state database; on PostgreSQL a session advisory lock is taken too,
        so two machines sharing one database cannot trade the same account.
    timeout_s
        How long to wait for the lock before :class:`AlreadyRunning`.
    """

    def __init__(self, path: Path, account: str, engine: sa.Engine | None = None, timeout_s: float = 0.0) -> None:
        self.path, self.account, self.engine, self.timeout_s = Path(path), account, engine, timeout_s
        self._file = FileLock(str(self.path))
        self._conn: Any = None

    @property
    def key(self) -> int:
        """64-bit advisory lock key of the account."""
        return int.from_bytes(hashlib.sha256(f"indexer-bot:{self.account}".encode()).digest()[:8], "big", signed=True)

    def __enter__(self) -> AccountLock:
        """Take the file lock (plus a PostgreSQL advisory lock); AlreadyRunning when another bot holds it."""
        try:
            self._file.acquire(timeout=self.timeout_s)
        except Timeout:
            raise AlreadyRunning(f"account {self.account!r} is locked by another bot process ({self.path})") from None
        if self.engine is not None and self.engine.dialect.name == "postgresql":
            self._conn = self.engine.connect()
            got = self._conn.execute(sa.text("select pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            self._conn.commit()
            if not got:
                self._conn.close()
                self._conn = None
                self._file.release()
                raise AlreadyRunning(f"account {self.account!r} is locked by another bot (PostgreSQL advisory lock)")
        return self

    def __exit__(self, *exc: object) -> None:
        """Release the lock."""
        if self._conn is not None:
            try:
                self._conn.execute(sa.text("select pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None
        self._file.release()
