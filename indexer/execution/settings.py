"""One settings model for live rebalancing, shared by ``indexer rebalance`` and the bot.

:class:`RebalanceSettings` has four sections; the bot config embeds the same
models (``exchange:``, ``paper:``, ``execution:``, ``risk:``), and the
``indexer rebalance --config`` file is either that nested form or the older
flat exchange form (what ``indexer exchange-sim --write-config sim.yaml`` writes)::

    exchange: binance
    key_file: /home/me/sim.keys.json      # or INDEXER_BINANCE_API_KEY / _SECRET
    sandbox: false                         # ccxt set_sandbox_mode where offered
    options: {fetchCurrencies: false, fetchMarkets: {types: [spot]}, fetchMargins: false}
    urls: {api: {public: http://127.0.0.1:8765/api/v3, private: http://127.0.0.1:8765/api/v3}}
    untradeable: redistribute              # redistribute | cash | fail
    max_retries: 4                         # retryable errors: attempts after the first
    execution: {cash_buffer: 0.003, drift_threshold: 0.001, order_type: market}
    risk: {max_order_notional: 10000, max_turnover: 1.0, max_price_deviation: 0.1}
    paper: {balances: {USDT: 10000}, fee_rate: 0.001, slippage_bps: 5}

Command-line flags of ``indexer rebalance`` override the file.  Without
``--config`` the path in ``$INDEXER_EXCHANGE_CONFIG`` is read, else the
defaults below apply.  Money is in the account's quote currency, ratios are
fractions, times in seconds unless the name says otherwise.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from indexer.config import read_yaml_mapping, reject_loose_numbers
from indexer.exceptions import ConfigError

__all__ = ["CredentialsSettings", "ExchangeSettings", "PaperSettings", "ExecutionSettings", "RiskSettings",
           "RebalanceSettings", "load_settings", "settings_error", "CONFIG_ENV", "LOOPBACK_HOSTS", "MAX_PAPER_BALANCE"]

CONFIG_ENV = "INDEXER_EXCHANGE_CONFIG"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CredentialsSettings(_Model):
    """Where the API keys are: environment variable *names* or a 0600 key file (never the keys)."""

    api_key_env: str | None = Field(None, description="name of the env var holding the API key")
    secret_env: str | None = Field(None, description="name of the env var holding the secret")
    password_env: str | None = None
    key_file: Path | None = Field(None, description="JSON/YAML key file with apiKey and secret (chmod 600)")

    @model_validator(mode="after")
    def _one_source(self) -> CredentialsSettings:
        if self.key_file and (self.api_key_env or self.secret_env):
            raise ValueError("give either key_file or api_key_env/secret_env, not both")
        if bool(self.api_key_env) != bool(self.secret_env):
            raise ValueError("api_key_env and secret_env go together")
        for name in (self.api_key_env, self.secret_env, self.password_env):
            if name and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(f"{name!r} is not an environment variable name (put the key in the environment, "
                                 "not in this file)")
        return self


class ExchangeSettings(_Model):
    """How to reach one exchange account, and what to do with assets it cannot trade."""

    id: str = Field("binance", validation_alias=AliasChoices("id", "exchange"), description="ccxt exchange id")
    quote: str = "USDT"
    sandbox: bool = False
    key_file: Path | None = Field(None, description="shorthand for credentials.key_file")
    credentials: CredentialsSettings = Field(default_factory=CredentialsSettings)
    options: dict[str, Any] = Field(default_factory=dict)
    urls: dict[str, Any] = Field(default_factory=dict)
    timeout_ms: int = Field(10_000, gt=0, description="ccxt request timeout (milliseconds)")
    max_retries: int = Field(4, ge=0, description="retries of a retryable exchange error (after the first attempt)")
    backoff_s: float = Field(0.5, ge=0, description="first retry delay floor (seconds); doubles per retry")
    max_backoff_s: float = Field(30.0, gt=0, description="longest retry delay (seconds)")
    rate_limit: bool = Field(True, description="ccxt enableRateLimit (client-side request throttle)")
    untradeable: Literal["redistribute", "cash", "fail"] = Field(
        "redistribute", description="target assets without a tradable market: spread pro rata over the rest, "
                                    "keep in cash, or refuse the rebalance")

    @property
    def exchange(self) -> str:
        """The ccxt exchange id (alias of ``id``)."""
        return self.id

    def loopback(self) -> bool:
        """Return True when every configured URL points at this machine."""
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


class PaperSettings(_Model):
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
    slippage_bps: float = Field(5.0, ge=0, le=500, description="adverse move of market fills (basis points)")
    max_price_age_hours: float | None = Field(
        168.0, gt=0, description="an asset whose last close is older than this at the latest bar gets no "
                                 "paper market (reported as unpriced, not traded); null: any age")


class ExecutionSettings(_Model):
    """How a plan is made and worked (:class:`~indexer.execution.executor.ExecutorSettings`)."""

    order_type: Literal["market", "limit"] = "market"
    limit_price: Literal["mid", "touch"] = "mid"
    limit_timeout_s: float = Field(10.0, gt=0, description="wait for a limit order (or a market fill) before acting")
    on_timeout: Literal["market", "replace"] = "market"
    max_replacements: int = Field(2, ge=0, le=5)
    poll_interval_s: float = Field(0.25, gt=0)
    max_book_fraction: float = Field(0.25, gt=0, le=1, description="largest slice vs book depth near the touch")
    depth_bps: float = Field(50.0, gt=0, description="how far from the touch depth is counted")
    max_remainder_orders: int = Field(3, ge=0, le=10)
    resize_margin: float = Field(0.001, ge=0, lt=0.1, description="above the best ask a re-sized buy allows for")
    drift_threshold: float = Field(0.001, ge=0, lt=1, description="minimum weight drift worth trading (fraction)")
    cash_buffer: float = Field(0.003, ge=0, lt=0.2, description="fraction of value kept in cash at least "
                                                                 "(fees, price moves between orders)")

    def executor_settings(self) -> Any:
        """Return the :class:`~indexer.execution.executor.ExecutorSettings` (how orders are worked) these settings give."""
        from indexer.execution.executor import ExecutorSettings

        return ExecutorSettings(**self.model_dump(exclude={"drift_threshold", "cash_buffer"}))


class RiskSettings(_Model):
    """Guards before any order (``null`` switches one off); quote units, fractions."""

    max_order_notional: float | None = Field(10_000.0, gt=0, description="largest single order (quote units)")
    max_turnover: float | None = Field(1.0, gt=0, le=2.0, description="sum of order values / value per run")
    max_daily_loss: float | None = Field(0.15, gt=0, le=1, description="kill switch (bot): loss vs 24 h earlier")
    max_drawdown: float | None = Field(0.35, gt=0, le=1, description="kill switch (bot): loss vs the peak value")
    max_price_deviation: float | None = Field(0.10, gt=0, le=1, description="exchange price vs the data's last close")


class RebalanceSettings(_Model):
    """Exchange, paper account, execution and risk settings of one rebalance."""

    exchange: ExchangeSettings = Field(default_factory=ExchangeSettings)
    paper: PaperSettings = Field(default_factory=PaperSettings)
    execution: ExecutionSettings = Field(default_factory=ExecutionSettings)
    risk: RiskSettings = Field(default_factory=RiskSettings)

    @property
    def quote(self) -> str:
        """The account's quote currency."""
        return self.exchange.quote


_FLAT_LEGACY = {"fee_rate": ("paper", "fee_rate"), "paper_balances": ("paper", "balances")}


def _nest(raw: dict[str, Any]) -> dict[str, Any]:
    """Convert the flat file form (exchange keys at the top) to the nested form."""
    if isinstance(raw.get("exchange"), dict):
        return raw
    out: dict[str, Any] = {k: dict(raw.pop(k)) for k in ("paper", "execution", "risk") if isinstance(raw.get(k), dict)}
    for key, (section, name) in _FLAT_LEGACY.items():
        if key in raw:
            out.setdefault(section, {})[name] = raw.pop(key)
    out["exchange"] = raw
    return out


def settings_error(exc: ValidationError, where: str) -> ConfigError:
    """Return a one-line :class:`ConfigError` naming ``where`` and each field at fault."""
    fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return ConfigError(f"{where}: {fields}")


def load_settings(path: str | Path | None = None, *, exchange: str | None = None,
                  overrides: dict[str, dict[str, Any]] | None = None) -> RebalanceSettings:
    """Load the settings from ``path`` (or ``$INDEXER_EXCHANGE_CONFIG``).

    ``exchange`` and ``overrides`` (``{"execution": {...}, ...}``, e.g. from command-line flags)
    win over the file.
    """
    path = path or os.environ.get(CONFIG_ENV)
    raw: dict[str, Any] = {}
    if path:
        raw = dict(read_yaml_mapping(path, "exchange config", allow_empty=True))
    raw = _nest(raw)
    ex = raw.setdefault("exchange", {})
    if exchange:
        have = ex.get("id", ex.get("exchange"))
        if have not in (None, exchange):
            raise ConfigError(f"exchange config {path} is for {have!r}, not --exchange {exchange!r}")
        ex.pop("exchange", None)
        ex["id"] = exchange
    for section, values in (overrides or {}).items():
        raw.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    try:
        reject_loose_numbers(RebalanceSettings, raw, f"exchange config {path}" if path else "exchange settings")
        return RebalanceSettings(**raw)
    except ValidationError as exc:
        raise settings_error(exc, f"exchange config {path or '(defaults)'}") from None
