"""Structured JSON logs (one object per line) with secrets redacted."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from indexer.bot.redact import RedactingFormatterFilter, Redactor

__all__ = ["JsonFormatter", "setup_logging"]

_STD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", ...extra fields}`` per record, UTC ISO time."""

    def format(self, record: logging.LogRecord) -> str:
        """Format ``record`` as one JSON line (UTC timestamp, level, logger, message, extras)."""
        import datetime as dt

        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage(),
        }
        for k, v in record.__dict__.items():
            if k not in _STD and not k.startswith("_"):
                out[k] = v
        if record.exc_text:
            out["exc"] = record.exc_text
        elif record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def setup_logging(redactor: Redactor, *, json_logs: bool = True, level: str = "INFO",
                  file: Path | None = None) -> logging.Logger:
    """Route ``indexer`` (and ccxt) logs to stderr (and ``file``), JSON formatted, redacted."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_indexer_bot", False):
            root.removeHandler(h)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(file))
    fmt: logging.Formatter = JsonFormatter() if json_logs else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s")
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(RedactingFormatterFilter(redactor))
        h._indexer_bot = True  # type: ignore[attr-defined]
        root.addHandler(h)
    root.setLevel(level)
    for noisy in ("alembic", "urllib3", "ccxt"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return logging.getLogger("indexer.bot")
