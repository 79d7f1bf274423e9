"""Deterministic client order ids: the same run, leg and part always give the same id.

Binance accepts ``^[.A-Z:/a-z0-9_-]{1,36}$``; ids here are ``ix-<run>-<leg>-<part>``
with ``<run>`` a 12-character hash of the run id, so a retried submission carries
the id of the first attempt and the exchange (or our lookup) recognises it.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["client_order_id", "parse_client_order_id", "CLIENT_ID_PATTERN"]

CLIENT_ID_PATTERN = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")


def client_order_id(run_id: str, leg: int, part: int = 0) -> str:
    """Client order id for ``leg`` (and ``part``: slice or replacement number) of run ``run_id``."""
    run = hashlib.sha256(run_id.encode()).hexdigest()[:12]
    cid = f"ix-{run}-{leg}-{part}"
    if not CLIENT_ID_PATTERN.match(cid):  # pragma: no cover - leg/part are ints
        raise ValueError(f"invalid client order id {cid!r}")
    return cid


def parse_client_order_id(cid: str) -> tuple[int, int]:
    """``(leg, part)`` of an id made by :func:`client_order_id`.

    Raises
    ------
    ValueError
        When ``cid`` is not of the form ``ix-<run>-<leg>-<part>``.
    """
    m = re.fullmatch(r"ix-[0-9a-f]{12}-(\d+)-(\d+)", cid)
    if m is None:
        raise ValueError(f"{cid!r} is not a client order id of the form ix-<run>-<leg>-<part>")
    return int(m.group(1)), int(m.group(2))
