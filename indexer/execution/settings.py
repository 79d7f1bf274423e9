"""Exchange settings for rebalancing: a YAML file (``--config``) or the environment.

Example (what ``indexer exchange-sim --write-config sim.yaml`` writes)::

    exchange: binance
    key_file: /home/me/sim.keys.json      # or INDEXER_BINANCE_API_KEY / _SECRET
    sandbox: false                         # ccxt set_sandbox_mode where offered
    options: {fetchCurrencies: false, fetchMarkets: {types: [spot]}, fetchMargins: false}
    urls: {api: {public: http://127.0.0.1:8765/api/v3, private: http://127.0.0.1:8765/api/v3}}

Without ``--config`` the path in ``$INDEXER_EXCHANGE_CONFIG`` is read, else the
defaults below apply.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from indexer.config import read_yaml_mapping, reject_loose_numbers
from indexer.exceptions import ConfigError

__all__ = ["ExchangeSettings", "load_settings", "CONFIG_ENV"]

CONFIG_ENV = "INDEXER_EXCHANGE_CONFIG"


class ExchangeSettings(BaseModel):
    """How to reach one exchange account (see module docstring)."""

    model_config = ConfigDict(extra="forbid")

    exchange: str = "binance"
    sandbox: bool = False
    key_file: Path | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    urls: dict[str, Any] = Field(default_factory=dict)
    timeout_ms: int = Field(10_000, gt=0, description="ccxt request timeout (milliseconds)")
    quote: str = "USDT"
    max_retries: int = Field(4, ge=0)
    backoff_s: float = Field(0.5, ge=0, description="first retry delay floor (seconds); doubles per retry")
    max_backoff_s: float = Field(30.0, gt=0)
    rate_limit: bool = Field(True, description="ccxt enableRateLimit (client-side request throttle)")
    fee_rate: float = Field(0.001, ge=0, lt=0.05, description="paper trading fee (fraction)")
    paper_balances: dict[str, float] = Field(default_factory=lambda: {"USDT": 10_000.0})


def load_settings(path: str | Path | None = None, *, exchange: str | None = None) -> ExchangeSettings:
    """Settings from ``path`` (or ``$INDEXER_EXCHANGE_CONFIG``), with ``exchange`` overriding the file's."""
    path = path or os.environ.get(CONFIG_ENV)
    raw: dict[str, Any] = {}
    if path:
        raw = dict(read_yaml_mapping(path, "exchange config", allow_empty=True))
    if exchange:
        if raw.get("exchange") not in (None, exchange):
            raise ConfigError(f"exchange config {path} is for {raw['exchange']!r}, not --exchange {exchange!r}")
        raw["exchange"] = exchange
    try:
        reject_loose_numbers(ExchangeSettings, raw, f"exchange config {path}" if path else "exchange settings")
        return ExchangeSettings(**raw)
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"exchange config {path or '(defaults)'}: {fields}") from None
