"""``load_live``: the live cache as :class:`~indexer.data.MarketData` (the same loader for the bot and a backtest).

Prices, volumes and market caps come from :func:`indexer.data.fetched_data.load_fetched`
(the ``indexer data fetch`` layout), on-chain metrics from the Coin Metrics
files (:func:`indexer.data.sources.onchain_metrics.read_coinmetrics`, aligned to the close
panel, NaN where unobserved), the Fear & Greed index and the news texts from
their parquet files.  ``provenance["live"]`` holds each source's cursor,
fetch time, URL and licence.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from indexer.data.fetched_data import FETCH_MAX_GAP, load_fetched
from indexer.data.live.fear_greed import fear_greed_path
from indexer.data.live.live_cache import read_frame, read_state
from indexer.data.live.news import read_news_cache
from indexer.data.market import MarketData, Sentiment
from indexer.data.registry import AssetRegistry
from indexer.data.sources.onchain_metrics import metric_panels, read_coinmetrics
from indexer.exceptions import DataError

__all__ = ["load_live"]


def load_live(root: str | Path, *, registry: AssetRegistry | None = None, max_gap: int | None = FETCH_MAX_GAP) -> MarketData:
    """Read a live cache written by :func:`indexer.data.live.refresh_inputs`."""
    root = Path(root)
    if not (root / "meta.json").exists():
        err = (read_state(root).get("ohlcv") or {}).get("error")
        raise DataError(f"{root}: the live cache has no daily bars yet ("
                        + (f"the last ohlcv refresh failed: {err}" if err else "no refresh has run")
                        + "); run `indexer data update STRATEGY` or the bot with data.source: live")
    data = load_fetched(root, max_gap=max_gap, registry=registry)
    metrics = {}
    onchain = root / "onchain"
    if onchain.is_dir() and any(onchain.glob("*.parquet")):
        raw = read_coinmetrics(onchain)
        metrics = metric_panels(raw, data.close.index, data.close.columns)
    fg = read_frame(fear_greed_path(root))
    index = None if fg is None else fg["fear_greed"].astype("float64")
    texts = read_news_cache(root)
    if texts is not None:
        texts = texts[["timestamp", "text", "label", "url", "assets", "feed"]].reset_index(drop=True)
    prov = {**dict(data.provenance), "format": "live", "live": read_state(root)}
    return replace(data, metrics=metrics, sentiment=Sentiment(index=index, texts=texts), provenance=prov)
