"""The bot's persistent state through SQLAlchemy 2 (SQLite file or PostgreSQL).

Every write commits at once: after a crash the database says exactly which
step a run reached and which orders were recorded (as intents or with their
exchange answer).  :func:`migrate` brings the schema to the newest Alembic
revision and runs on every start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from indexer.bot.schema import VERSION_TABLE, accounts, balances, events, orders, runs
from indexer.exceptions import ConfigError

__all__ = ["Store", "migrate", "utcnow", "safe_url", "HEAD"]

MIGRATIONS = Path(__file__).parent / "migrations"
#: Newest schema revision shipped with this version.
HEAD = "0001"


def utcnow() -> dt.datetime:
    """Return the current UTC time (the bot is the layer that reads the clock)."""
    return dt.datetime.now(dt.UTC)


def _utc(x: Any) -> Any:
    if isinstance(x, dt.datetime) and x.tzinfo is None:
        return x.replace(tzinfo=dt.UTC)
    return x


def _row(r: Any) -> dict[str, Any]:
    return {k: _utc(v) for k, v in r._mapping.items()}


def _current(engine: sa.Engine) -> str | None:
    """Return the schema revision recorded in the version table (None when absent)."""
    if not sa.inspect(engine).has_table(VERSION_TABLE):
        return None
    with engine.connect() as c:
        return c.execute(sa.text(f"select version_num from {VERSION_TABLE}")).scalar()


def safe_url(engine_or_url: sa.Engine | str) -> str:
    """Return the database URL with its password replaced by ``***`` (for messages and logs)."""
    url = engine_or_url.url if isinstance(engine_or_url, sa.Engine) else sa.engine.make_url(engine_or_url)
    return url.render_as_string(hide_password=True)


def db_error(engine: sa.Engine, exc: BaseException, doing: str) -> ConfigError:
    """One-line :class:`ConfigError` naming the (redacted) URL, the failure and what to check."""
    orig = getattr(exc, "orig", None) or exc
    first = next((ln.strip() for ln in str(orig).splitlines() if ln.strip()), type(orig).__name__)
    url = safe_url(engine)
    pw = engine.url.password
    if pw:
        first = first.replace(str(pw), "***")
    hint = (
        "check the file path and its folder's permissions" if engine.dialect.name == "sqlite"
        else "check that the server runs and accepts connections, the host, port, database name and credentials"
    )
    return ConfigError(f"database {url}: {doing} failed ({first}); {hint}")


@contextmanager
def _migration_lock(engine: sa.Engine) -> Iterator[Any]:
    """Serialise schema migrations between processes: a PostgreSQL advisory lock or a SQLite file lock.

    Yields the connection the migration must use (PostgreSQL: the one holding the lock), or None.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("select pg_advisory_lock(:k)"), {"k": _MIGRATION_KEY})
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(sa.text("select pg_advisory_unlock(:k)"), {"k": _MIGRATION_KEY})
                conn.commit()
        return
    db = engine.url.database if engine.dialect.name == "sqlite" else None
    if db and db != ":memory:" and not db.startswith("file:"):
        from filelock import FileLock

        with FileLock(f"{db}.migrate.lock", timeout=120):
            yield None
        return
    yield None


#: Advisory lock key of schema migrations (any account).
_MIGRATION_KEY = int.from_bytes(b"idxmigr1", "big", signed=True)


def migrate(engine: sa.Engine, revision: str = "head") -> str:
    """Upgrade the bot schema to ``revision`` with Alembic; returns the revision now current.

    Safe when several processes start at once on a new database: the upgrade runs
    under a migration lock (PostgreSQL advisory lock / SQLite lock file) and the
    revision is read again once the lock is held.  An unreachable database or a
    failed migration is one :class:`ConfigError` naming the URL (password hidden).
    """
    try:
        if revision in ("head", HEAD) and _current(engine) == HEAD:
            return HEAD  # already current: skip loading Alembic (faster restarts)
    except sa.exc.SQLAlchemyError as exc:
        raise db_error(engine, exc, "connecting") from None
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with _migration_lock(engine) as locked:
            if revision in ("head", HEAD) and _current(engine) == HEAD:
                return HEAD  # another process migrated while we waited
            if locked is not None:
                cfg.attributes["connection"] = locked
                command.upgrade(cfg, revision)
                locked.commit()
            else:
                with engine.begin() as conn:
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
        with engine.connect() as conn:
            return str(MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision())
    except sa.exc.SQLAlchemyError as exc:
        raise db_error(engine, exc, f"schema migration to {revision}") from None
    except Exception as exc:  # noqa: BLE001 - alembic raises its own types (e.g. CommandError, Timeout)
        if isinstance(exc, ConfigError):
            raise
        raise db_error(engine, exc, f"schema migration to {revision}") from None


class Store:
    """Runs, orders, balance snapshots, events and account switches of one database.

    Parameters
    ----------
    url
        SQLAlchemy URL, e.g. ``sqlite:////var/lib/indexer/bot.sqlite`` or
        ``postgresql+psycopg://user@host/db``.
    """

    def __init__(self, url: str, *, apply_migrations: bool = True) -> None:
        try:
            self.engine = sa.create_engine(url, future=True, pool_pre_ping=True)
        except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
            shown = safe_url(url) if "://" in str(url) and not isinstance(exc, sa.exc.ArgumentError) else "(not a URL)"
            raise ConfigError(f"database url {shown}: cannot use it ({type(exc).__name__}: {str(exc).splitlines()[0]})") from None
        self.dialect = self.engine.dialect.name
        self.revision = migrate(self.engine) if apply_migrations else None

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    # ------------------------------------------------------------------ runs
    def create_run(self, account: str, as_of: dt.datetime, mode: str) -> int:
        """Create a run in status ``running`` at step ``started``; return its id."""
        now = utcnow()
        with self.engine.begin() as c:
            key = c.execute(runs.insert().values(
                account=account, as_of=as_of, mode=mode, status="running", step="started",
                started_at=now, updated_at=now)).inserted_primary_key
        assert key is not None, "an INSERT into runs returns its primary key"
        return int(key[0])

    def update_run(self, run_id: int, **values: Any) -> None:
        """Set columns of a run (``step``, ``status``, ``target``, ``plan``, ``error``)."""
        with self.engine.begin() as c:
            c.execute(runs.update().where(runs.c.id == run_id).values(updated_at=utcnow(), **values))

    def run(self, run_id: int) -> dict[str, Any]:
        """One run as a dict."""
        with self.engine.connect() as c:
            r = c.execute(sa.select(runs).where(runs.c.id == run_id)).first()
        if r is None:
            raise KeyError(run_id)
        return _row(r)

    def unfinished_runs(self, account: str) -> list[dict[str, Any]]:
        """Return the runs still ``running`` (interrupted), oldest first."""
        q = sa.select(runs).where(runs.c.account == account, runs.c.status == "running").order_by(runs.c.id)
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q)]

    def runs_for(self, account: str, as_of: dt.datetime | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Recent runs (newest first), optionally only those of ``as_of``."""
        q = sa.select(runs).where(runs.c.account == account)
        if as_of is not None:
            q = q.where(runs.c.as_of == as_of)
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q.order_by(runs.c.id.desc()).limit(limit))]

    # ------------------------------------------------------------------ orders
    def record_intent(self, run_id: int, leg: int, client_order_id: str, symbol: str, side: str,
                      type: str, amount: str, price: str | None) -> None:
        """Record an order *before* it is sent (status ``intent``); a repeat is a no-op."""
        now = utcnow()
        with self.engine.begin() as c:
            exists = c.execute(sa.select(orders.c.id).where(orders.c.client_order_id == client_order_id)).first()
            if exists is None:
                c.execute(orders.insert().values(
                    run_id=run_id, leg=leg, client_order_id=client_order_id, symbol=symbol, side=side, type=type,
                    amount=amount, price=price, status="intent", filled="0", created_at=now, updated_at=now))

    def update_order(self, client_order_id: str, **values: Any) -> None:
        """Set columns of an order (``exchange_order_id``, ``status``, ``filled``, ``fills``, ``error``)."""
        with self.engine.begin() as c:
            c.execute(orders.update().where(orders.c.client_order_id == client_order_id)
                      .values(updated_at=utcnow(), **values))

    def orders_of(self, run_id: int) -> list[dict[str, Any]]:
        """Orders of a run by leg."""
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(sa.select(orders).where(orders.c.run_id == run_id)
                                               .order_by(orders.c.leg))]

    def open_orders(self, account: str) -> list[dict[str, Any]]:
        """Orders recorded as intent, sent or open (not final) for ``account``."""
        q = (sa.select(orders).join(runs, runs.c.id == orders.c.run_id)
             .where(runs.c.account == account, orders.c.status.in_(("intent", "sent", "open"))).order_by(orders.c.id))
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q)]

    def all_orders(self, account: str) -> list[dict[str, Any]]:
        """Every order of ``account``, oldest first."""
        q = (sa.select(orders).join(runs, runs.c.id == orders.c.run_id)
             .where(runs.c.account == account).order_by(orders.c.id))
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q)]

    # ------------------------------------------------------------------ balances
    def snapshot(self, account: str, quantities: Mapping[str, Any], prices: Mapping[str, float | Decimal], value: float,
                 run_id: int | None = None, taken_at: dt.datetime | None = None) -> None:
        """Store a balance snapshot (quantities as strings, prices and value in quote units)."""
        with self.engine.begin() as c:
            c.execute(balances.insert().values(
                account=account, run_id=run_id, taken_at=taken_at or utcnow(),
                quantities={k: str(v) for k, v in quantities.items()},
                prices={k: float(v) for k, v in prices.items()}, value=float(value)))

    def snapshots(self, account: str) -> pd.DataFrame:
        """Balance snapshots as a frame indexed by UTC ``taken_at`` (columns value, run_id)."""
        q = sa.select(balances.c.taken_at, balances.c.value, balances.c.run_id).where(
            balances.c.account == account).order_by(balances.c.taken_at, balances.c.id)
        with self.engine.connect() as c:
            rows = [_row(r) for r in c.execute(q)]
        frame = pd.DataFrame(rows, columns=["taken_at", "value", "run_id"])
        frame["taken_at"] = pd.to_datetime(frame["taken_at"], utc=True)
        return frame.set_index("taken_at")

    def last_snapshot(self, account: str) -> dict[str, Any] | None:
        """Return the newest balance snapshot."""
        q = sa.select(balances).where(balances.c.account == account).order_by(balances.c.id.desc()).limit(1)
        with self.engine.connect() as c:
            r = c.execute(q).first()
        return _row(r) if r is not None else None

    # ------------------------------------------------------------------ events
    def event(self, account: str, kind: str, message: str, *, level: str = "info",
              run_id: int | None = None, data: Mapping[str, Any] | None = None) -> None:
        """Append an event."""
        with self.engine.begin() as c:
            c.execute(events.insert().values(account=account, run_id=run_id, at=utcnow(), kind=kind,
                                             level=level, message=message, data=dict(data) if data else None))

    def events_for(self, account: str, limit: int = 50) -> list[dict[str, Any]]:
        """Newest events first."""
        q = sa.select(events).where(events.c.account == account).order_by(events.c.id.desc()).limit(limit)
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q)]

    # ------------------------------------------------------------------ switches
    def set_paused(self, account: str, paused: bool, reason: str | None = None) -> None:
        """Persist pause / resume for ``account``."""
        now = utcnow()
        with self.engine.begin() as c:
            done = c.execute(accounts.update().where(accounts.c.account == account)
                             .values(paused=paused, reason=reason, updated_at=now)).rowcount
            if not done:
                c.execute(accounts.insert().values(account=account, paused=paused, reason=reason, updated_at=now))

    def resumed_at(self, account: str) -> dt.datetime | None:
        """When ``account`` was last resumed (None when never paused or still paused)."""
        with self.engine.connect() as c:
            r = c.execute(sa.select(accounts.c.paused, accounts.c.updated_at).where(accounts.c.account == account)).first()
        return _utc(r[1]) if r is not None and not r[0] else None

    def paused(self, account: str) -> tuple[bool, str | None]:
        """``(paused, reason)`` of ``account`` (not paused when never set)."""
        with self.engine.connect() as c:
            r = c.execute(sa.select(accounts.c.paused, accounts.c.reason).where(accounts.c.account == account)).first()
        return (bool(r[0]), r[1]) if r is not None else (False, None)
