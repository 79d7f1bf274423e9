"""Secret redaction for everything the bot writes: logs, events, errors, notifications."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["Redactor", "RedactingFormatterFilter"]

_PATTERNS = (
    re.compile(r"(signature=)[0-9a-fA-F]+"),
    re.compile(r"((?:api[_-]?key|apiKey|secret|password|X-MBX-APIKEY)['\"]?\s*[:=]\s*['\"]?)[^\s'\",&}]+", re.I),
    re.compile(r"(api\.telegram\.org/bot)[^/\s]+"),
    re.compile(r"(hooks\.slack\.com/services/)[^\s'\"]+"),
    re.compile(r"(://[^:/@\s]+:)[^@\s]+(@)"),
)
MASK = "***"


class Redactor:
    """Replace known secret strings and secret-looking patterns with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str | None]) -> None:
        """Register more secret strings (short ones are ignored: they would mask ordinary text)."""
        for s in secrets:
            if s and len(s) >= 6 and s not in self.secrets:
                self.secrets.append(s)
        self.secrets.sort(key=len, reverse=True)

    def add_url(self, url: str | None) -> None:
        """Register a URL that holds a token: itself, its password and its token-like path parts / query values."""
        if not url:
            return
        from urllib.parse import parse_qsl, urlparse

        u = urlparse(url)
        parts = [url, u.password or ""] + [v for _, v in parse_qsl(u.query)]
        for seg in u.path.split("/"):
            parts.append(seg[3:] if seg.startswith("bot") else seg)  # Telegram: /bot<token>/sendMessage
        self.add(p for p in parts if len(p) >= 10 and any(c.isdigit() for c in p))

    def text(self, s: str) -> str:
        """``s`` with secrets masked."""
        for secret in self.secrets:
            s = s.replace(secret, MASK)
        for pat in _PATTERNS:
            s = pat.sub(lambda m: m.group(1) + MASK + (m.group(2) if m.lastindex and m.lastindex >= 2 else ""), s)
        return s

    def obj(self, x: Any) -> Any:
        """Return a JSON-like structure with every string masked."""
        if isinstance(x, str):
            return self.text(x)
        if isinstance(x, dict):
            return {k: self.obj(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [self.obj(v) for v in x]
        return x


class RedactingFormatterFilter(logging.Filter):
    """A logging filter that masks secrets in the formatted message and exception text."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact secrets in ``record``'s message and traceback (the record is always kept)."""
        msg = record.getMessage()
        clean = self.redactor.text(msg)
        if clean != msg:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = self.redactor.text("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True
