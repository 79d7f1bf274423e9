"""The bot configuration: a YAML file validated by pydantic (``extra="forbid"``).

Example (see ``examples/bot/``)::

    account: paper-main
    strategy: ../../strategies/top10_capped.yaml   # relative to this file
    mode: paper                 # paper | sandbox | live
    exchange: {id: binance, quote: USDT}
    paper: {balances: {USDT: 10000}, fee_rate: 0.001, max_price_age_hours: 168}
    schedule: {cron: "5 0 * * *"}  # UTC
    risk: {max_order_notional: 5000, max_turnover: 1.0, max_daily_loss: 0.1, max_drawdown: 0.3}
    execution: {order_type: market, cash_buffer: 0.003, drift_threshold: 0.001}
    # exchange.untradeable: redistribute | cash | fail; exchange.max_retries / backoff_s: retries
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

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from indexer.config import data_dir, read_yaml_mapping, reject_loose_numbers
from indexer.data.live.settings import LiveSettings
from indexer.exceptions import ConfigError
from indexer.execution.settings import (
    LOOPBACK_HOSTS,
    CredentialsSettings,
    ExchangeSettings,
    ExecutionSettings,
    PaperSettings,
    RebalanceSettings,
    RiskSettings,
)

__all__ = [
    "BotSettings",
    "ExchangeConfig",
    "CredentialsConfig",
    "PaperConfig",
    "ScheduleSettings",
    "RiskConfig",
    "ExecutionConfig",
    "DataSettings",
    "NotifyTarget",
    "DatabaseSettings",
    "load_bot_settings",
    "cron_trigger",
    "LOOPBACK_HOSTS",
]



class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# One settings model for both live paths (indexer.execution.settings): the bot's exchange, paper, risk and
# execution sections are the very models `indexer rebalance --config` reads.
CredentialsConfig = CredentialsSettings
ExchangeConfig = ExchangeSettings
PaperConfig = PaperSettings
RiskConfig = RiskSettings
ExecutionConfig = ExecutionSettings


class ScheduleSettings(_Model):
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
    """Return an APScheduler ``CronTrigger`` in UTC from 5 cron fields (or 6 with seconds first)."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) == 6:
        second, minute, hour, day, month, dow = fields
        return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month, day_of_week=dow,
                           timezone="UTC")
    return CronTrigger.from_crontab(expr, timezone="UTC")


class DataSettings(_Model):
    """Where market data comes from and how fresh it must be.

    ``source: live`` refreshes every input the strategy declares before each run
    (``live``: :class:`~indexer.data.live.LiveSettings`; cache ``<data dir>/live/<exchange>``
    or ``path``) and checks each input's age (``check_freshness``, default on for live data).
    """

    source: Literal["reference", "csv", "parquet", "live"] = "reference"
    path: Path | None = None
    max_age_hours: float = Field(36.0, gt=0, description="stale-data guard: latest bar age limit (hours)")
    live: LiveSettings | None = Field(None, description="live sources (URLs, feeds, candidates, rate limits)")
    check_freshness: bool | None = Field(None, description="check every input's age before deciding "
                                                           "(default: on with source live)")

    @model_validator(mode="after")
    def _path(self) -> DataSettings:
        if self.source in ("csv", "parquet") and self.path is None:
            raise ValueError(f"source {self.source!r} needs a path")
        if self.live is not None and self.source != "live":
            raise ValueError(f"data.live is only read with source: live (source is {self.source!r})")
        return self


NotifyEvent = Literal["run", "error", "kill_switch"]
NOTIFY_EVENTS: tuple[NotifyEvent, ...] = ("run", "error", "kill_switch")


class NotifyTarget(_Model):
    """One notification target; URLs holding tokens should come from ``url_env``."""

    kind: Literal["webhook", "slack", "telegram"]
    url: str | None = None
    url_env: str | None = Field(None, description="env var holding the URL (e.g. a Slack or Telegram token URL)")
    chat_id: str | None = Field(None, description="Telegram chat id")
    events: list[NotifyEvent] = Field(default_factory=lambda: list(NOTIFY_EVENTS))
    timeout_s: float = Field(5.0, gt=0)

    @model_validator(mode="after")
    def _target(self) -> NotifyTarget:
        if bool(self.url) == bool(self.url_env):
            raise ValueError("give exactly one of url or url_env")
        if self.kind == "telegram" and not self.chat_id:
            raise ValueError("telegram needs chat_id")
        return self

    def resolve_url(self) -> str:
        """Return the URL (from the environment when ``url_env`` is set)."""
        if self.url:
            return self.url
        url = os.environ.get(self.url_env or "")
        if not url:
            raise ConfigError(f"notify {self.kind}: environment variable {self.url_env} is not set")
        return url


class DatabaseSettings(_Model):
    """State database: an SQLAlchemy URL (SQLite file by default, PostgreSQL by URL)."""

    url: str | None = None
    url_env: str | None = Field(None, description="env var holding the URL (keeps a password out of the file)")


class LoggingSettings(_Model):
    """Structured JSON logs."""

    json_logs: bool = True
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    file: Path | None = None


class BotSettings(_Model):
    """A validated bot configuration (see module docstring)."""

    account: str = Field(..., pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    strategy: Path
    mode: Literal["paper", "sandbox", "live"] = "paper"
    exchange: ExchangeConfig = Field(default_factory=ExchangeConfig)
    paper: PaperConfig = Field(default_factory=PaperConfig)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    data: DataSettings = Field(default_factory=DataSettings)
    notify: list[NotifyTarget] = Field(default_factory=list)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    metrics_port: int | None = Field(None, ge=0, le=65535, description="Prometheus endpoint on 127.0.0.1")
    lock_dir: Path | None = None
    source: Path | None = Field(None, exclude=True, description="the YAML file this came from")

    @model_validator(mode="before")
    @classmethod
    def _moved_fields(cls, raw: Any) -> Any:
        """Move settings of older files to their current place.

        ``risk.drift_threshold`` / ``risk.fee_reserve`` are ``execution.drift_threshold`` /
        ``execution.cash_buffer`` now.
        """
        if isinstance(raw, dict) and isinstance(raw.get("risk"), dict):
            risk = dict(raw["risk"])
            moved = {k: risk.pop(k) for k in ("drift_threshold", "fee_reserve") if k in risk}
            if moved:
                ex = dict(raw.get("execution") or {})
                if "drift_threshold" in moved:
                    ex.setdefault("drift_threshold", moved["drift_threshold"])
                if "fee_reserve" in moved:
                    ex.setdefault("cash_buffer", moved["fee_reserve"])
                raw = {**raw, "risk": risk, "execution": ex}
        return raw

    def settings(self) -> RebalanceSettings:
        """Return the exchange, paper, execution and risk sections as :class:`~indexer.execution.RebalanceSettings`."""
        return RebalanceSettings(exchange=self.exchange, paper=self.paper, execution=self.execution, risk=self.risk)

    @model_validator(mode="after")
    def _mode(self) -> BotSettings:
        if self.mode == "sandbox" and not (self.exchange.sandbox or self.exchange.loopback()):
            raise ValueError("mode sandbox needs exchange.sandbox: true or exchange.urls on 127.0.0.1/localhost")
        return self

    def db_url(self) -> str:
        """Return the database URL (default: a SQLite file per account in the data directory)."""
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
        """Return the single-instance lock file of this account."""
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


def load_bot_settings(path: str | Path) -> BotSettings:
    """Read and validate a bot YAML; relative paths resolve against the file's folder.

    Raises
    ------
    ConfigError
        Naming the file, the field and what is allowed.
    """
    p = Path(path).expanduser()
    raw = read_yaml_mapping(p, "bot config")
    reject_loose_numbers(BotSettings, raw, f"bot config {p}")
    try:
        cfg = BotSettings(**raw)
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
    if not cfg.strategy.is_file():
        raise ConfigError(f"bot config {p}: strategy: file {cfg.strategy} does not exist")
    return cfg


def _explain(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            model = BotSettings
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
