"""``LiveSettings``: where each live source is and how politely to ask it (a pydantic model, unknown fields forbidden).

Used as the ``data.live`` block of a bot config and by ``indexer data update``::

    data:
      source: live
      live:
        since: 2020-01-01                 # first day fetched into an empty cache
        feeds: {coindesk: https://www.coindesk.com/arc/outboundfeeds/rss/}
        coinmetrics_url: https://community-api.coinmetrics.io   # default
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LiveSettings", "DEFAULT_FEEDS", "DEFAULT_RATES", "DEFAULT_CANDIDATES"]

#: Public crypto news feeds used when none are configured.
DEFAULT_FEEDS = {
    "coindesk": "https://www.coindesk.com/arc/outboundfeeds/rss/",
    "cointelegraph": "https://cointelegraph.com/rss",
}
#: Client-side limits per source: (requests, seconds).  Coin Metrics community: 10 per 6 s;
#: CoinGecko keyless: ~10 per minute is safe; alternative.me and feeds: no stated limit.
DEFAULT_RATES: dict[str, tuple[int, float]] = {
    "market_cap": (10, 60.0), "fear_greed": (30, 60.0), "onchain": (10, 6.0), "news": (30, 60.0),
}
#: Assets refreshed when a strategy's universe is ranked from the data (large, long-listed assets).
DEFAULT_CANDIDATES = tuple(
    "BTC ETH BNB XRP ADA SOL DOGE TRX DOT LTC LINK AVAX BCH ETC XLM ATOM UNI FIL AAVE ALGO EOS DASH GRT NEAR USDC".split()
)


class LiveSettings(BaseModel):
    """Live sources of the bot's data (see module docstring).

    Attributes
    ----------
    exchange
        ccxt id of the OHLCV source (default: the bot's trading exchange).
    quote
        Quote currency of the OHLCV pairs (``BTC`` -> ``BTC/USDT``); USD or a USD stablecoin.
    ohlcv_urls
        Overrides of ccxt's ``urls["api"]`` for the OHLCV source (e.g. a loopback server).
    candidates
        Assets whose data is refreshed when the universe is ranked from the data.
    since
        First UTC day fetched into an empty cache (later runs resume from each cursor).
    coingecko_url, fear_greed_url, coinmetrics_url
        API base URLs (default: the public ones).
    feeds
        News feeds, ``{name: RSS/Atom URL}``.
    seed_news
        Write the labelled reference news into an empty news cache (the text model's training history).
    rates
        Client-side rate limits per source, ``{source: [requests, seconds]}``.
    retries, backoff_s, timeout_s
        Retries of 429 / 5xx / timeouts, base of the exponential backoff and per-request timeout (seconds).
    coingecko_max_history_days
        History the keyless CoinGecko API serves (365 days since 2024); ``null``: no limit (paid key).
    """

    model_config = ConfigDict(extra="forbid")

    exchange: str | None = None
    quote: str = "USDT"
    ohlcv_urls: dict[str, str] = Field(default_factory=dict)
    candidates: list[str] = Field(default_factory=lambda: list(DEFAULT_CANDIDATES))
    since: dt.date = dt.date(2020, 1, 1)
    coingecko_url: str | None = None
    fear_greed_url: str | None = None
    coinmetrics_url: str | None = None
    feeds: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_FEEDS))
    seed_news: bool = True
    rates: dict[str, tuple[int, float]] = Field(default_factory=dict)
    retries: int = Field(3, ge=0, le=10)
    backoff_s: float = Field(1.0, ge=0)
    timeout_s: float = Field(30.0, gt=0)
    coingecko_max_history_days: int | None = Field(365, ge=1)

    def rate(self, source: str) -> tuple[int, float] | None:
        """Return the client-side limit of ``source`` (configured, else the default)."""
        r = self.rates.get(source, DEFAULT_RATES.get(source))
        return None if r is None else (int(r[0]), float(r[1]))
