"""The bot's live inputs: refresh them before the strategy is asked, check their age, show them in the status.

Three calls, each one line in :mod:`indexer.bot.rebalancer` (so the live path can move
to a pre-decision hook without touching this logic):

* :func:`refresh` — with ``data.source: live``, bring every input the strategy
  declares up to date in ``<data dir>/live/<exchange>`` (:func:`indexer.strategy.live.refresh_inputs`);
* :func:`check` — every input's age at ``now`` (:func:`indexer.strategy.freshness.check_freshness`);
  a stale input with the ``block`` rule raises :class:`~indexer.strategy.freshness.StaleInputsError`;
* :func:`decide` — the strategy's target with the declared fallbacks applied and recorded.

The offline rehearsal (``indexer bot once CONFIG --offline``) swaps the live
sources for the reference data under the account ``<account>-rehearsal`` and a
clock set to the day after the last day on which every input that would block
has data (unless ``--now``); bars after the clock are never read.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from indexer.bot.settings import BotSettings

if TYPE_CHECKING:  # pragma: no cover
    from indexer._typing import TargetPortfolio
    from indexer.data.live import RefreshReport
    from indexer.data.market import MarketData
    from indexer.strategy.freshness import FreshnessReport

__all__ = ["live_cache_dir", "freshness_enabled", "refresh", "check", "decide", "FreshStrategy", "status_inputs",
           "rehearsal", "REHEARSAL_LABEL"]

REHEARSAL_LABEL = "REHEARSAL on the offline reference data (historical, not live)"


def live_cache_dir(cfg: BotSettings) -> Path:
    """Return ``<data dir>/live/<exchange>`` (``data.path`` when given)."""
    from indexer.data.live import live_root

    live = cfg.data.live
    return cfg.data.path if cfg.data.path is not None else live_root((live.exchange if live else None) or cfg.exchange.id)


def freshness_enabled(cfg: BotSettings) -> bool:
    """``data.check_freshness``, by default on for live data (and in a rehearsal), off for files."""
    return cfg.data.source == "live" if cfg.data.check_freshness is None else bool(cfg.data.check_freshness)


def _strategy(cfg: BotSettings) -> Any:
    from indexer.strategy import Strategy

    return Strategy.from_yaml(cfg.strategy)


def refresh(cfg: BotSettings, now: dt.datetime | pd.Timestamp) -> RefreshReport | None:
    """Refresh the strategy's inputs in the live cache (``None`` unless ``data.source: live``)."""
    if cfg.data.source != "live":
        return None
    from indexer.data.live import LiveSettings
    from indexer.strategy.live import refresh_inputs

    return refresh_inputs(_strategy(cfg), live_cache_dir(cfg), cfg.data.live or LiveSettings(), now=pd.Timestamp(now),
                          exchange=cfg.exchange.id)


def check(cfg: BotSettings, data: MarketData, now: dt.datetime | pd.Timestamp, as_of: Any = None) -> FreshnessReport:
    """Every input's age at ``now`` in ``data.until(as_of)``."""
    from indexer.strategy.freshness import check_freshness

    return check_freshness(_strategy(cfg), data, now, as_of=as_of)


def decide(cfg: BotSettings, data: MarketData, as_of: pd.Timestamp, now: dt.datetime | pd.Timestamp,
           previous: pd.Series | None) -> TargetPortfolio:
    """Return the target after the freshness check (when enabled), fallbacks applied and recorded in its diagnostics."""
    from indexer.strategy.freshness import decide as _decide

    strategy = _strategy(cfg)
    if not freshness_enabled(cfg):
        return strategy.target(data.until(as_of), as_of, previous=previous)
    return _decide(strategy, data.until(as_of), as_of, now=now, previous=previous)


class FreshStrategy:
    """A strategy whose ``target`` first checks every input's age at ``now`` and applies the declared fallbacks.

    What the bot hands to :func:`indexer.execution.rebalance_once`: a stale ``block`` input raises
    :class:`~indexer.strategy.freshness.StaleInputsError` before any order; a ``drop`` fallback is
    applied and recorded in ``target.diagnostics["freshness"]``.  Everything else (``spec``, ``name``,
    the compliance rules) is the wrapped strategy's.
    """

    def __init__(self, strategy: Any, now: dt.datetime | pd.Timestamp) -> None:
        self.strategy, self.now = strategy, now

    def __getattr__(self, name: str) -> Any:
        """Delegate everything else to the wrapped strategy."""
        return getattr(self.strategy, name)

    def target(self, data: MarketData, as_of: Any, previous: pd.Series | None = None) -> TargetPortfolio:
        """Return the wrapped strategy's target after the freshness check (see class docstring)."""
        from indexer.strategy.freshness import decide as _decide

        return _decide(self.strategy, data.until(as_of), as_of, now=self.now, previous=previous)


def status_inputs(cfg: BotSettings, now: dt.datetime | pd.Timestamp | None = None) -> dict[str, Any]:
    """Each input's age and source now (from the cache; no network), or ``{"error": ...}``."""
    from indexer.bot.accounts import load_market_data
    from indexer.exceptions import IndexerError

    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    try:
        data = load_market_data(cfg)
        return check(cfg, data, now).to_dict()
    except IndexerError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def rehearsal(cfg: BotSettings) -> BotSettings:
    """Return the config of an offline rehearsal: reference data, ``<account>-rehearsal``, freshness checked."""
    data = cfg.data.model_copy(update={"source": "reference", "path": None, "check_freshness": True,
                                       "max_age_hours": max(cfg.data.max_age_hours, 36.0)})
    account = f"{cfg.account}-rehearsal"[:40]
    return cfg.model_copy(update={"data": data, "account": account})


def rehearsal_now(cfg: BotSettings) -> dt.datetime:
    """Return the rehearsal clock: 00:05 UTC after the last day on which every input that would block has data.

    E.g. ``ai_index`` on the reference data: the Fear & Greed file ends 2025-05-02, prices 2025-10-24,
    so the rehearsal decides as of 2025-05-02 (news and on-chain inputs are then dropped, as declared).
    """
    from indexer.bot.accounts import load_market_data
    from indexer.strategy.freshness import last_observed, requirements

    data = load_market_data(cfg)
    lasts = [last_observed(data, r.key) for r in requirements(_strategy(cfg)) if r.on_stale == "block"]
    day = min([x for x in lasts if x is not None] or [pd.Timestamp(data.end)])
    return (pd.Timestamp(day) + pd.Timedelta(days=1, minutes=5)).to_pydatetime()
