"""Fault injection for the exchange simulator.

A :class:`FaultRule` fires on requests whose endpoint matches ``target``
(``"*"``, a path such as ``"order"``, or ``"POST order"``), skipping the first
``skip`` matches and then firing ``times`` times.  Kinds:

``latency``        sleep ``value`` seconds (default 0.5), then answer normally
``timeout``        answer normally but only after ``value`` seconds (default 30);
                   an order is still *placed*, so the client must look it up
``429``            HTTP 429 with ``Retry-After: value`` (default 1) and code -1003
``5xx``            HTTP ``value`` (default 503) with a plain-text body
``1001``           HTTP ``value`` (default 503) with Binance's JSON body ``{"code": -1001,
                   "msg": "Internal error; unable to process your request. Please try again."}``
                   (ccxt raises a non-network ``OperationFailed`` for it)
``partial``        the order fills only the fraction ``value`` (default 0.5): a market
                   order expires with the rest, a limit order rests with the rest
``reject_balance`` code -2010 "Account has insufficient balance for requested action."
``reject_filter``  code -1013 "Filter failure: <value>" (default LOT_SIZE)

The CLI takes them as ``kind[:target[:times[:value]]]``, comma separated, e.g.
``--faults 429:order:1:1,timeout:POST order:1:3``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from indexer.exceptions import ConfigError

__all__ = ["FaultRule", "FaultBook", "parse_faults", "KINDS"]

KINDS = ("latency", "timeout", "429", "5xx", "1001", "partial", "reject_balance", "reject_filter")


@dataclass
class FaultRule:
    """One fault to inject (see module docstring)."""

    kind: str
    target: str = "*"
    times: int = 1
    value: str | None = None
    skip: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        """Check the fault kind and counts (ConfigError naming the fault)."""
        if self.kind not in KINDS:
            raise ConfigError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if int(self.times) < 1 or int(self.skip) < 0:
            raise ConfigError(f"fault {self.kind}: times must be >= 1 and skip >= 0")
        self.times, self.skip = int(self.times), int(self.skip)

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule targets ``METHOD path`` (path relative to /api/v3/)."""
        t = self.target.strip()
        return t == "*" or t == path or t == f"{method} {path}"

    def number(self, default: float) -> float:
        """``value`` as a float, or ``default``."""
        return float(self.value) if self.value not in (None, "") else default


class FaultBook:
    """The active fault rules, consumed as they fire (thread-safe)."""

    def __init__(self, rules: Iterable[FaultRule] = ()) -> None:
        self._rules: list[FaultRule] = list(rules)
        self._seen: dict[int, int] = {}
        self._lock = threading.Lock()

    def add(self, rules: Iterable[FaultRule]) -> None:
        """Append rules."""
        with self._lock:
            self._rules.extend(rules)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()
            self._seen.clear()

    def take(self, method: str, path: str) -> list[FaultRule]:
        """Rules firing for this request (their counters advance)."""
        out = []
        with self._lock:
            for rule in self._rules:
                if rule.fired >= rule.times or not rule.matches(method, path):
                    continue
                seen = self._seen.get(id(rule), 0)
                self._seen[id(rule)] = seen + 1
                if seen < rule.skip:
                    continue
                rule.fired += 1
                out.append(rule)
        return out

    def to_json(self) -> list[dict[str, Any]]:
        """Rules with their fired counts."""
        with self._lock:
            return [asdict(r) for r in self._rules]


def parse_faults(text: str | None) -> list[FaultRule]:
    """Parse ``kind[:target[:times[:value]]]`` items separated by commas."""
    rules = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        parts = item.split(":")
        kind = parts[0]
        target = parts[1] if len(parts) > 1 and parts[1] else "*"
        try:
            times = int(parts[2]) if len(parts) > 2 and parts[2] else 1
        except ValueError:
            raise ConfigError(f"fault {item!r}: times must be an integer, got {parts[2]!r}") from None
        value = ":".join(parts[3:]) if len(parts) > 3 else None
        rules.append(FaultRule(kind=kind, target=target, times=times, value=value))
    return rules
