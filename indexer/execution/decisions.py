"""Decisions acted on, one per strategy, account and bar: a rerun of the same bar trades to the same target.

A strategy decides from the weights held *before* the decision (``previous``:
turnover penalties, rank buffers, regime hysteresis).  Asked again after its
orders filled, it sees a different book and can answer differently, so an
immediate rerun would trade again although nothing changed.  Recording the
decision of a bar and reusing it for that bar keeps one decision per bar: the
rerun plans the same target against the book it finds, and within the drift
bands that is no order.  The bot keeps this record in its database (one run
per bar); ``indexer rebalance --live`` keeps it here::

    <data dir>/decisions/<strategy>-<bar YYYYMMDD>-<key>.json

``key`` hashes the strategy's spec (an edited strategy file decides anew), the
account (:attr:`~indexer.execution.ccxt_broker.CcxtBroker.account_key`: exchange,
endpoints and API key, hashed) and the bar.  A new bar decides anew;
``indexer rebalance --redecide`` asks the strategy again for the same bar.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from indexer._typing import TargetPortfolio
from indexer.exceptions import DataError

__all__ = ["DecisionLog", "RecordedDecision"]


@dataclass(frozen=True)
class RecordedDecision:
    """A decision acted on: the target, the run that traded it and when (UTC)."""

    target: TargetPortfolio
    run_id: str
    at: pd.Timestamp

    @property
    def note(self) -> str:
        """One line for the plan output and notifications."""
        return (f"decision for bar {self.target.as_of:%Y-%m-%d} reused from run {self.run_id} "
                f"({self.at:%Y-%m-%d %H:%M} UTC): one decision per bar, its target traded again")


@dataclass(frozen=True)
class DecisionLog:
    """JSON files of decisions acted on in ``directory``, for the account ``account`` (a fingerprint)."""

    directory: Path
    account: str

    def path(self, strategy: Any, as_of: pd.Timestamp) -> Path:
        """Return the file of ``strategy``'s decision at bar ``as_of`` for this account."""
        spec = getattr(strategy, "spec", None)
        dump = getattr(spec, "model_dump_json", None)
        text = dump() if callable(dump) else repr(getattr(strategy, "name", strategy))
        key = hashlib.sha256(f"{text}|{self.account}|{pd.Timestamp(as_of).isoformat()}".encode()).hexdigest()[:16]
        name = str(getattr(strategy, "name", "strategy"))
        return Path(self.directory) / f"{name}-{pd.Timestamp(as_of):%Y%m%d}-{key}.json"

    def load(self, strategy: Any, as_of: pd.Timestamp) -> RecordedDecision | None:
        """Return the recorded decision, or None (DataError naming the file when it cannot be read)."""
        p = self.path(strategy, as_of)
        if not p.exists():
            return None
        try:
            d = json.loads(p.read_text())
            return RecordedDecision(TargetPortfolio.from_dict(d["target"]), str(d["run_id"]), pd.Timestamp(d["at"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"decision record {p}: unreadable ({exc}); delete it or pass --redecide") from None

    def forget(self, strategy: Any, as_of: pd.Timestamp) -> None:
        """Drop the record of ``strategy``'s decision at ``as_of`` (the next run asks the strategy again)."""
        self.path(strategy, as_of).unlink(missing_ok=True)

    def save(self, strategy: Any, target: TargetPortfolio, run_id: str, at: dt.datetime | None = None, *,
             as_of: pd.Timestamp | None = None) -> Path:
        """Record ``target`` as the decision acted on at bar ``as_of`` (default its own), atomically."""
        p = self.path(strategy, target.as_of if as_of is None else as_of)
        p.parent.mkdir(parents=True, exist_ok=True)
        when = pd.Timestamp(at or dt.datetime.now(dt.UTC))
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps({"run_id": run_id, "at": when.isoformat(), "target": target.to_dict()}))
        os.replace(tmp, p)
        return p
