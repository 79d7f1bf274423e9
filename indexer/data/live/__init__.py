"""Live data for the bot: every input a strategy needs, refreshed incrementally from public sources.

Sources (one module each, one cursor each in ``live_state.json``):

* ``ohlcv``: closed daily bars through ccxt from the trading exchange (:mod:`.ohlcv`);
* ``market_cap``: CoinGecko market caps and circulating supply (:mod:`.caps`);
* ``fear_greed``: alternative.me Crypto Fear & Greed index (:mod:`.fear_greed`);
* ``onchain``: Coin Metrics community API v4 metrics (:mod:`.coinmetrics`);
* ``news``: RSS/Atom feeds parsed by ``feedparser``, tagged to assets (:mod:`.news`).

:func:`refresh_inputs` runs the sources an :class:`InputNeeds` calls for;
:func:`load_live` reads the cache back as ``MarketData`` (bot and backtest alike).
"""

from __future__ import annotations

from indexer.data.live.http import RateLimiter, SourceClient, SourceError
from indexer.data.live.live_cache import live_root, read_state
from indexer.data.live.load import load_live
from indexer.data.live.needs import DEFAULT_MAX_AGE_DAYS, InputNeeds, input_kind, input_source
from indexer.data.live.refresh import RefreshReport, refresh_inputs
from indexer.data.live.settings import DEFAULT_FEEDS, LiveSettings

__all__ = [
    "RateLimiter",
    "SourceClient",
    "SourceError",
    "load_live",
    "InputNeeds",
    "DEFAULT_MAX_AGE_DAYS",
    "input_kind",
    "input_source",
    "RefreshReport",
    "refresh_inputs",
    "LiveSettings",
    "DEFAULT_FEEDS",
    "live_root",
    "read_state",
]
