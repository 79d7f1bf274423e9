"""The bot configuration: a YAML file validated by pydantic (``extra="forbid"``).

Example (see ``examples/bot/``)::

    account: paper-main
    strategy: ../../strategies/top10_capped.yaml   # relative to this file
    mode: paper                 # paper | sandbox | live
    exchange: {id: binance, quote: USDT}
    paper: {balances: {USDT: 10000}, fee_rate: 0.001, max_price_age_hours: 168}
    schedule: {cron: "5 0 * * *"}  # UTC
    risk: {max_order_notional: 5000, max_turnover: 1.0, max_daily_loss: 0.1, max_drawdown: 0.3}
    execution: {order_type: market}   # or limit (mid / touch, timeout, then market or replace)
    data: {source: reference, max_age_hours: 36}
    notify: [{kind: slack, url_env: SLACK_WEBHOOK_URL}]
    database: {url: sqlite:///bot.sqlite}

Modes: ``paper`` simulates fills at the latest closes (no exchange; an asset
whose last close is older than ``paper.max_price_age_hours`` is not priced and
not traded); ``sandbox``
trades through ccxt only against an exchange's sandbox or a loopback URL
(e.g. ``indexer exchange-sim``); ``live`` trades real money and needs both
``mode: live`` here and the ``--live`` command-line flag.  Credentials are never
in this file: name the environment variables or a 0600 key file.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from indexer.config import data_dir, read_yaml_mapping, reject_loose_numbers
from indexer.exceptions import ConfigError

__all__ = [
    "BotConfig",
    "ExchangeConfig",
    "CredentialsConfig",
    "PaperConfig",
    "ScheduleConfig",
    "RiskConfig",
    "ExecutionConfig",
    "DataConfig",
    "NotifyTarget",
    "DatabaseConfig",
    "load_bot_config",
    "cron_trigger",
    "LOOPBACK_HOSTS",
]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CredentialsConfig(_Model):
    """Where the API keys are: environment variable *names* or a 0600 key file (never the keys)."""

    api_key_env: str | None = Field(None, description="name of the env var holding the API key")
    secret_env: str | None = Field(None, description="name of the env var holding the secret")
    password_env: str | None = None
    key_file: Path | None = Field(None, description="JSON/YAML key file with apiKey and secret (chmod 600)")

    @model_validator(mode="after")
    def _one_source(self) -> "CredentialsConfig":
        if self.key_file and (self.api_key_env or self.secret_env):
            raise ValueError("give either key_file or api_key_env/secret_env, not both")
        if bool(self.api_key_env) != bool(self.secret_env):
            raise ValueError("api_key_env and secret_env go together")
        for name in (self.api_key_env, self.secret_env, self.password_env):
            if name and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(f"{name!r} is not an environment variable name (put the key in the environment, "
                                 "not in this file)")
        return self


class ExchangeConfig(_Model):
    """The ccxt exchange and how to reach it."""

    id: str = "binance"
    quote: str = "USDT"
    sandbox: bool = False
    options: dict[str, Any] = Field(default_factory=dict)
    urls: dict[str, Any] = Field(default_factory=dict)
    timeout_ms: int = Field(10_000, gt=0)
    max_retries: int = Field(4, ge=0)
    backoff_s: float = Field(0.5, ge=0)
    rate_limit: bool = Field(True, description="ccxt's client-side rate limiter (off only for a loopback simulator)")
    credentials: CredentialsConfig = Field(default_factory=CredentialsConfig)

    def loopback(self) -> bool:
        """True when every configured URL points at this machine."""
        urls = list(_walk_urls(self.urls))
        return bool(urls) and all((urlparse(u).hostname or "") in LOOPBACK_HOSTS for u in urls)


def _walk_urls(x: Any) -> Any:
    if isinstance(x, str):
        if x.startswith(("http://", "https://")):
            yield x
    elif isinstance(x, dict):
        for v in x.values():
            yield from _walk_urls(v)


#: Largest paper balance per currency (units); beyond it amounts lose exchange precision.
MAX_PAPER_BALANCE = 1e12


class PaperConfig(_Model):
    """Paper account: starting balances, fee and slippage of simulated fills, price age limit."""

    balances: dict[str, float] = Field(default_factory=lambda: {"USDT": 10_000.0})

    @field_validator("balances")
    @classmethod
    def _balances(cls, v: dict[str, float]) -> dict[str, float]:
        for cur, q in v.items():
            if not math.isfinite(q) or q < 0 or q > MAX_PAPER_BALANCE:
                raise ValueError(
                    f"starting balance of {cur} is {q!r}; expected a finite amount >= 0 and <= {MAX_PAPER_BALANCE:g} "
                    "units (larger amounts cannot be traded with exchange precision)"
                )
        return v
    fee_rate: float = Field(0.001, ge=0, lt=0.05, description="fraction of the amount received")
    slippage_bps: float = Field(5.0, ge=0, le=500)
    max_price_age_hours: float | None = Field(
        168.0, gt=0, description="an asset whose last close is older than this at the latest bar gets no "
                                 "paper market (reported as unpriced, not traded); null: any age")


class ScheduleConfig(_Model):
    """When ``indexer bot run`` rebalances: a 5-field cron expression, UTC."""

    cron: str = "5 0 * * *"
    misfire_grace_s: int = Field(3600, gt=0)

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        try:
            cron_trigger(v)
        except ValueError as exc:
            raise ValueError(f"invalid cron expression {v!r} (minute hour day month weekday, "
                             f"optionally seconds first): {exc}") from None
        return v


def cron_trigger(expr: str) -> Any:
    """An APScheduler ``CronTrigger`` in UTC from 5 cron fields (or 6 with seconds first)."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) == 6:
        second, minute, hour, day, month, dow = fields
        return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month, day_of_week=dow,
                           timezone="UTC")
    return CronTrigger.from_crontab(expr, timezone="UTC")


class RiskConfig(_Model):
    """Risk limits; money in the account quote currency, ratios as fractions."""

    max_order_notional: float = Field(10_000.0, gt=0, description="largest single order (quote units)")
    max_turnover: float = Field(1.0, gt=0, le=2.0, description="sum of order values / portfolio value per run")
    max_daily_loss: float = Field(0.15, gt=0, le=1, description="kill switch: loss vs the value 24 h earlier")
    max_drawdown: float = Field(0.35, gt=0, le=1, description="kill switch: loss vs the peak value")
    max_price_deviation: float = Field(0.10, gt=0, le=1, description="exchange price vs last close")
    drift_threshold: float = Field(0.005, ge=0, lt=1, description="minimum weight drift worth trading")
    fee_reserve: float = Field(0.002, ge=0, lt=0.2, description="fraction of value kept in cash for fees")


class ExecutionConfig(_Model):
    """How orders are worked (:class:`indexer.execution.ExecutionOptions`); seconds, fractions, basis points."""

    order_type: Literal["market", "limit"] = "market"
    limit_price: Literal["mid", "touch"] = "mid"
    limit_timeout_s: float = Field(10.0, gt=0, description="wait for a limit order (or a market fill) before acting")
    on_timeout: Literal["market", "replace"] = "market"
    max_replacements: int = Field(2, ge=0, le=5)
    poll_interval_s: float = Field(0.25, gt=0)
    max_book_fraction: float = Field(0.25, gt=0, le=1, description="largest slice vs book depth near the touch")
    depth_bps: float = Field(50.0, gt=0, description="how far from the touch depth is counted")

    def options(self) -> Any:
        """The :class:`~indexer.execution.ExecutionOptions` these settings give."""
        from indexer.execution.executor import ExecutionOptions

        return ExecutionOptions(**self.model_dump())


class DataConfig(_Model):
    """Where market data comes from and how fresh it must be."""

    source: Literal["reference", "csv", "parquet"] = "reference"
    path: Path | None = None
    max_age_hours: float = Field(36.0, gt=0, description="stale-data guard: latest bar age limit (hours)")

    @model_validator(mode="after")
    def _path(self) -> "DataConfig":
        if self.source in ("csv", "parquet") and self.path is None:
            raise ValueError(f"source {self.source!r} needs a path")
        return self


class NotifyTarget(_Model):
    """One notification target; URLs holding tokens should come from ``url_env``."""

    kind: Literal["webhook", "slack", "telegram"]
    url: str | None = None
    url_env: str | None = Field(None, description="env var holding the URL (e.g. a Slack or Telegram token URL)")
    chat_id: str | None = Field(None, description="Telegram chat id")
    events: list[Literal["run", "error", "kill_switch"]] = Field(
        default_factory=lambda: ["run", "error", "kill_switch"])
    timeout_s: float = Field(5.0, gt=0)

    @model_validator(mode="after")
    def _target(self) -> "NotifyTarget":
        if bool(self.url) == bool(self.url_env):
            raise ValueError("give exactly one of url or url_env")
        if self.kind == "telegram" and not self.chat_id:
            raise ValueError("telegram needs chat_id")
        return self

    def resolve_url(self) -> str:
        """The URL (from the environment when ``url_env`` is set)."""
        if self.url:
            return self.url
        url = os.environ.get(self.url_env or "")
        if not url:
            raise ConfigError(f"notify {self.kind}: environment variable {self.url_env} is not set")
        return url


class DatabaseConfig(_Model):
    """State database: an SQLAlchemy URL (SQLite file by default, PostgreSQL by URL)."""

    url: str | None = None
    url_env: str | None = Field(None, description="env var holding the URL (keeps a password out of the file)")


class LoggingConfig(_Model):
    """Structured JSON logs."""

    json_logs: bool = True
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    file: Path | None = None


class BotConfig(_Model):
    """A validated bot configuration (see module docstring)."""

    account: str = Field(..., pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    strategy: Path
    mode: Literal["paper", "sandbox", "live"] = "paper"
    exchange: ExchangeConfig = Field(default_factory=ExchangeConfig)
    paper: PaperConfig = Field(default_factory=PaperConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    notify: list[NotifyTarget] = Field(default_factory=list)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    metrics_port: int | None = Field(None, ge=0, le=65535, description="Prometheus endpoint on 127.0.0.1")
    lock_dir: Path | None = None
    source: Path | None = Field(None, exclude=True, description="the YAML file this came from")

    @model_validator(mode="after")
    def _mode(self) -> "BotConfig":
        if self.mode == "sandbox" and not (self.exchange.sandbox or self.exchange.loopback()):
            raise ValueError("mode sandbox needs exchange.sandbox: true or exchange.urls on 127.0.0.1/localhost")
        return self

    def db_url(self) -> str:
        """The database URL (default: a SQLite file per account in the data directory)."""
        if self.database.url_env:
            url = os.environ.get(self.database.url_env)
            if not url:
                raise ConfigError(f"database.url_env: environment variable {self.database.url_env} is not set")
            return url
        if self.database.url:
            return self.database.url
        path = data_dir() / "bot" / f"{self.account}.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"

    def lock_path(self) -> Path:
        """The single-instance lock file of this account."""
        d = self.lock_dir or data_dir() / "bot"
        d.mkdir(parents=True, exist_ok=True)
        return d / f"{self.account}.lock"


def _resolve(base: Path, p: Path | None) -> Path | None:
    if p is None:
        return None
    p = p.expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def _fix_sqlite(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://" and ":memory:" not in url:
        return prefix + str((base / url[len(prefix):]).resolve())
    return url


def load_bot_config(path: str | Path) -> BotConfig:
    """Read and validate a bot YAML; relative paths resolve against the file's folder.

    Raises
    ------
    ConfigError
        Naming the file, the field and what is allowed.
    """
    p = Path(path).expanduser()
    raw = read_yaml_mapping(p, "bot config")
    reject_loose_numbers(BotConfig, raw, f"bot config {p}")
    try:
        cfg = BotConfig(**raw)
    except ValidationError as exc:
        raise ConfigError(f"bot config {p}: {_explain(exc)}") from None
    base = p.resolve().parent
    upd: dict[str, Any] = {"source": p.resolve(), "strategy": _resolve(base, cfg.strategy),
                           "lock_dir": _resolve(base, cfg.lock_dir)}
    cfg = cfg.model_copy(update=upd)
    cfg.data.path = _resolve(base, cfg.data.path)
    cfg.logging.file = _resolve(base, cfg.logging.file)
    cfg.exchange.credentials.key_file = _resolve(base, cfg.exchange.credentials.key_file)
    if cfg.database.url:
        cfg.database.url = _fix_sqlite(cfg.database.url, base)
    if not cfg.strategy.is_file():  # type: ignore[union-attr]
        raise ConfigError(f"bot config {p}: strategy: file {cfg.strategy} does not exist")
    return cfg


def _explain(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            model = BotConfig
            for key in e["loc"][:-1]:
                field = model.model_fields.get(str(key)) if isinstance(model, type) else None
                ann = getattr(field, "annotation", None)
                model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None  # type: ignore[assignment]
                if model is None:
                    break
            allowed = sorted(model.model_fields) if model is not None else []
            msg = f"unknown field; allowed: {', '.join(a for a in allowed if a != 'source')}"
        elif e["type"] == "literal_error":
            msg = f"{msg} (got {e.get('input')!r})"
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)
