"""API credentials from environment variables or a private key file, never logged.

Environment: ``INDEXER_<EXCHANGE>_API_KEY`` and ``INDEXER_<EXCHANGE>_SECRET``
(``<EXCHANGE>`` is the ccxt id upper-cased, e.g. ``INDEXER_BINANCE_API_KEY``;
``..._API_SECRET`` and ``..._PASSWORD`` are read too).  Key file: JSON or YAML
with ``apiKey`` and ``secret`` (``api_key`` / ``api_secret`` accepted, optional
``password``); it must not be readable or writable by group or others
(``chmod 600``), otherwise it is refused.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.exceptions import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from indexer.execution.settings import ExchangeSettings

__all__ = ["Credentials", "load_credentials", "settings_credentials", "env_prefix", "RedactingLogger", "redact"]


@dataclass(frozen=True)
class Credentials:
    """An API key pair; ``repr`` and ``str`` never show the values."""

    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    password: str | None = field(default=None, repr=False)
    source: str = ""

    def __str__(self) -> str:
        """Name where the keys came from, never the keys."""
        return f"Credentials(from {self.source or 'unknown'})"

    def secrets(self) -> list[str]:
        """Return the sensitive strings (for redaction)."""
        return [s for s in (self.api_key, self.secret, self.password) if s]

    def ccxt_config(self) -> dict[str, str]:
        """``apiKey`` / ``secret`` / ``password`` keys for a ccxt constructor."""
        cfg = {"apiKey": self.api_key, "secret": self.secret}
        if self.password:
            cfg["password"] = self.password
        return cfg


def env_prefix(exchange_id: str) -> str:
    """``INDEXER_<EXCHANGE>_`` for an exchange id."""
    return "INDEXER_" + re.sub(r"[^A-Z0-9]", "_", exchange_id.upper()) + "_"


def _check_private(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(f"key file {path}: cannot read key file: no such file") from None
    except OSError as exc:
        raise ConfigError(f"key file {path}: cannot read key file: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"key file {path} is accessible by group or others (mode {stat.S_IMODE(mode):o}); "
            f"refusing to use it: run `chmod 600 {path}`"
        )


def _read_key_file(path: Path) -> Credentials:
    from indexer.gate import load_yaml

    _check_private(path)
    raw = load_yaml(path, "key file")  # JSON is read as YAML (a subset); errors name the file, not the content
    if not isinstance(raw, Mapping):
        raise ConfigError(f"key file {path}: expected a mapping with apiKey and secret")
    key = raw.get("apiKey") or raw.get("api_key")
    secret = raw.get("secret") or raw.get("api_secret")
    if not key or not secret:
        raise ConfigError(f"key file {path}: fields apiKey and secret are required")
    return Credentials(str(key), str(secret), raw.get("password"), source=f"key file {path}")


def load_credentials(
    exchange_id: str, *, key_file: str | Path | None = None, env: Mapping[str, str] | None = None
) -> Credentials | None:
    """Credentials for ``exchange_id``: the key file if given, else the environment, else None."""
    if key_file:
        return _read_key_file(Path(key_file).expanduser())
    env = os.environ if env is None else env
    prefix = env_prefix(exchange_id)
    key = env.get(prefix + "API_KEY")
    secret = env.get(prefix + "SECRET") or env.get(prefix + "API_SECRET")
    file_env = env.get(prefix + "KEY_FILE")
    if key and secret:
        return Credentials(key, secret, env.get(prefix + "PASSWORD"), source=f"environment {prefix}API_KEY")
    if file_env:
        return _read_key_file(Path(file_env).expanduser())
    if key or secret:
        raise ConfigError(f"set both {prefix}API_KEY and {prefix}SECRET (only one is set)")
    return None


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with each secret and any ``signature=...`` query value replaced by ``***``."""
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return re.sub(r"signature=[0-9a-fA-F]+", "signature=***", text)


class RedactingLogger(logging.LoggerAdapter):
    """A logger adapter that formats each record and redacts secrets before it is emitted.

    Given to ccxt as ``exchange.logger``: ccxt logs every request with its
    headers (API key included) at DEBUG.
    """

    def __init__(self, logger: logging.Logger, secrets: list[str]) -> None:
        super().__init__(logger, {})
        self._secrets = [s for s in secrets if s]

    def log(self, level: int, msg: object, *args: object, **kwargs: object) -> None:
        """Log ``msg % args`` at ``level`` with every secret redacted."""
        if not self.isEnabledFor(level):
            return
        text = str(msg) % args if args else str(msg)
        kwargs.pop("extra", None)
        self.logger.log(level, redact(text, self._secrets), **kwargs)


def settings_credentials(settings: ExchangeSettings) -> Credentials | None:
    """Return the API keys named by ``settings`` (key file or environment variable names), else the default environment."""
    c = settings.credentials
    key_file = c.key_file or settings.key_file
    if key_file:
        return load_credentials(settings.id, key_file=key_file)
    if c.api_key_env:
        key, secret = os.environ.get(c.api_key_env), os.environ.get(c.secret_env or "")
        if not key or not secret:
            raise ConfigError(f"exchange.credentials: set the environment variables {c.api_key_env} and {c.secret_env}")
        pw = os.environ.get(c.password_env) if c.password_env else None
        return Credentials(key, secret, pw, source=f"environment {c.api_key_env}")
    return load_credentials(settings.id)
