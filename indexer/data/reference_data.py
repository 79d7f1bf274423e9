"""The reference data set: import ``../shared/data`` into the parquet cache and load it.

``load_reference()`` returns the reference universe from 2017-01-01
(:data:`REFERENCE_START`) to the last complete bar; ``full_history=True``
returns the whole cached daily index from the earliest price (BTC and LTC
from 2014-09-17).  Before 2020 prices and market caps come from Coin Metrics
where the daily price files lack them; on-chain metrics come from Coin Metrics
(17 assets to 2020-07, BTC/ADA to 2026, AAVE/MKR/UNI to 2022), blockchain.com
and Etherscan (ETH after 2020-07); see :mod:`indexer.data.reference_history`
for the precedence rules and :mod:`indexer.data.sources.cmc_membership` for the
point-in-time index membership tables.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from indexer.config import data_dir as default_data_dir
from indexer.config import shared_data_dir
from indexer.data.market import MarketData, Sentiment
from indexer.data.panel import validate_panel
from indexer.data.parquet_cache import (
    CacheRebuildWarning,
    cache_lock,
    cache_problem,
    is_complete,
    load_market_data,
    save_market_data,
)
from indexer.data.reference_history import (
    CM_PRICE_FROM,
    fill_market_cap,
    load_coinmetrics,
    onchain_metrics,
)
from indexer.data.reference_prices import (
    MIN_HISTORY_DAYS,
    PRICE_MAX_GAP,
    REFERENCE_START,
    build_prices,
    find_file,
    price_end_notes,
)
from indexer.data.registry import default_registry
from indexer.data.sources.cmc_membership import membership_table, read_cmc_weekly_top10
from indexer.data.sources.coinmetrics_archive import COINMETRICS_ATTRIBUTION
from indexer.data.sources.market_caps import build_market_cap, read_cmc_snapshots, read_daily_market_caps
from indexer.data.sources.news_archive import read_all_news
from indexer.data.sources.onchain_metrics import (
    metric_panels,
    read_blockchain_com,
    read_coinmetrics,
    read_defillama_tvl,
)
from indexer.data.sources.sentiment_inputs import read_fear_greed
from indexer.exceptions import DataError

__all__ = [
    "REFERENCE_START",
    "PRICE_MAX_GAP",
    "METRIC_MAX_GAP",
    "MIN_HISTORY_DAYS",
    "import_reference",
    "load_reference",
    "reference_cache_dir",
    "reference_cached",
]

#: On-chain charts are sampled every ~3 days: allow up to 10 missing days between observations.
METRIC_MAX_GAP = 10


def reference_cache_dir(data_dir: str | Path | None = None) -> Path:
    """``<data_dir>/reference`` (``data_dir`` defaults to ``indexer.config.data_dir()``)."""
    return Path(data_dir if data_dir is not None else default_data_dir()) / "reference"


def reference_cached(data_dir: str | Path | None = None) -> bool:
    """Return True when ``<data_dir>/reference`` holds a complete cache of the current format."""
    return is_complete(reference_cache_dir(data_dir))


def _build_market_caps(src: Path, close: pd.DataFrame, cm: Any) -> tuple[pd.DataFrame | None, dict[str, Any], pd.DataFrame | None, list[str]]:
    """Market caps by the stated precedence: ``(panel or None, provenance per asset, CMC snapshots or None, files)``."""
    daily_file = src / "coinbase_cmc/daily_calculated_market_cap_clean.csv"
    cmc_file = src / "coinbase_cmc/coinmarketcap_monthly_all_snapshots.csv"
    if not (daily_file.exists() or cmc_file.exists()):
        return None, {}, None, []
    daily = read_daily_market_caps(daily_file) if daily_file.exists() else pd.DataFrame()
    snaps = read_cmc_snapshots(cmc_file) if cmc_file.exists() else pd.DataFrame(columns=["snapshot", "symbol", "supply"])
    market_cap, mc_prov = build_market_cap(close, daily, snaps)
    market_cap, cm_caps = fill_market_cap(market_cap, close, cm.field("CapMrktCurUSD"), cm.field("PriceUSD"))
    for a, n in cm_caps.items():
        mc_prov[a]["coinmetrics_CapMrktCurUSD"] = n
    market_cap = validate_panel(market_cap, source=f"{src} (market caps)", field="market_cap", max_gap=None, allow_all_nan=True)
    files = [str(p) for p in (daily_file, cmc_file) if p.exists()]
    return market_cap, mc_prov, (snaps if cmc_file.exists() else None), files


def _build_metrics(src: Path, close: pd.DataFrame, cm: Any) -> tuple[dict[str, pd.DataFrame], dict[str, str], Any]:
    """On-chain metric panels aligned to ``close``: ``(panels, notes per source, metric sources)``."""
    raw_metrics: dict[str, pd.DataFrame] = {}
    metric_notes: dict[str, str] = {}
    if (src / "onchain_btc_blockchain_com").is_dir():
        raw_metrics.update(read_blockchain_com(src / "onchain_btc_blockchain_com"))
        metric_notes["blockchain_com"] = "BTC on-chain charts every ~3 days, 2010-08-17..2019-06-07; rows before the first close are not in the panels"
    raw_metrics, history_notes = onchain_metrics(src, cm, raw_metrics)
    metric_sources = history_notes.pop("sources")
    metric_notes.update(history_notes)
    if (src / "coinmetrics").is_dir():
        for name, frame in read_coinmetrics(src / "coinmetrics").items():
            raw_metrics[name] = frame.combine_first(raw_metrics[name]) if name in raw_metrics else frame
        metric_notes["coinmetrics"] = "CoinMetrics-layout files (preferred over blockchain.com where both exist)"
    tvl_file = find_file(src, "coinbase_cmc/defillama_tvl_*.csv")
    if tvl_file is not None:
        tvl = read_defillama_tvl(tvl_file)
        inside = tvl[tvl["timestamp"] <= close.index[-1]]
        if len(inside):
            raw_metrics["TVL"] = inside.pivot_table(index="timestamp", columns="asset", values="tvl", aggfunc="sum")
        metric_notes["defillama"] = (
            f"{tvl_file.name}: {len(tvl)} token rows dated {tvl['timestamp'].min().date()}; "
            + ("placed in metric 'TVL'" if len(inside) else f"after the last bar {close.index[-1].date()}: not in the panels (would be look-ahead)")
        )
    metrics = {}
    for name, panel in metric_panels(raw_metrics, close.index, close.columns).items():
        metrics[name] = validate_panel(panel, source=f"{src} (metric {name})", field=name, positive=False, max_gap=METRIC_MAX_GAP, allow_all_nan=True)
    return metrics, metric_notes, metric_sources


def _build_sentiment(src: Path) -> tuple[Sentiment, list[str]]:
    """Return the Fear & Greed index and every dated news file as one asset-tagged table, with the files read."""
    index, files = None, []
    fg = src / "crypto_fear_greed_index.csv"
    if fg.exists():
        index = read_fear_greed(fg)
        files.append(str(fg))
    texts, news_files = read_all_news(src)  # every dated news file, one asset-tagged table (news_archive.py)
    return Sentiment(index=index, texts=texts), files + list(news_files)


def _build_membership(src: Path, snaps: pd.DataFrame | None) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Point-in-time membership tables (monthly top 200, weekly top 10) keyed by registry ids."""
    membership, files = {}, []
    if snaps is not None:
        membership["cmc_monthly_top200"] = membership_table(snaps, default_registry())
    weekly = src / "cmc_top10_weekly" / "cmc_top10_weekly_2013_2024.csv"
    if weekly.exists():
        membership["cmc_weekly_top10"] = membership_table(read_cmc_weekly_top10(weekly), default_registry())
        files.append(str(weekly))
    return membership, files


#: The import rules recorded in every reference cache's provenance.
_RULES: dict[str, Any] = {
    "prices": "per asset the source with more daily bars since 2020-01-01 is primary; the other source only "
    "extends before its first / after its last bar when the join leaves no gap > PRICE_MAX_GAP days; bars on "
    "the capture day of a file (Coinbase: from its file name; Yahoo-style: the newest date in the directory) "
    "are dropped as incomplete",
    "volume": "USD: Coinbase base volume x close; Yahoo-style Volume as given (USD)",
    "market_cap": "daily_calculated_market_cap_clean where present, else close x circulating supply of the "
    "latest CoinMarketCap monthly snapshot on or before the day (at most 62 days old), else NaN; NaN where close is NaN",
    "price_max_gap": PRICE_MAX_GAP,
    "metric_max_gap": METRIC_MAX_GAP,
    "min_history_days": MIN_HISTORY_DAYS,
    "reference_start": str(REFERENCE_START.date()),
    "price_precedence": "1. the primary of Coinbase daily / Yahoo-style daily (more bars since 2020-01-01); "
    "2. the other of the two before/after the primary's range; 3. Coin Metrics PriceUSD only before the first "
    f"bar of 1+2, from {CM_PRICE_FROM.date()}, joined without a gap > PRICE_MAX_GAP (no volume on those days)",
    "market_cap_precedence": "daily_calculated_market_cap_clean > CoinMarketCap monthly supply x close > "
    "close x Coin Metrics supply (CapMrktCurUSD / PriceUSD)",
    "onchain_precedence": "Coin Metrics (community CSV > 2020-2026 BTC/ADA snapshot > DeFi-token file) > "
    "blockchain.com (BTC) > Etherscan (ETH, after 2020-07-27)",
    "membership": "CoinMarketCap snapshots mapped to registry ids; a snapshot dated D is known from D+1",
}


def _build(src: Path) -> MarketData:
    """Read every reference file in ``src`` into one validated :class:`MarketData` with its provenance."""
    t0 = time.perf_counter()
    cm = load_coinmetrics(src)
    prices = build_prices(src, cm)
    close = prices.close
    market_cap, mc_prov, snaps, cap_files = _build_market_caps(src, close, cm)
    metrics, metric_notes, metric_sources = _build_metrics(src, close, cm)
    sentiment, sentiment_files = _build_sentiment(src)
    membership, membership_files = _build_membership(src, snaps)
    files = [f for frame in prices.frames for f in frame.files] + cap_files + sentiment_files + membership_files
    provenance = {
        "source": str(src),
        "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "import_seconds": round(time.perf_counter() - t0, 3),
        "files": files,
        "rules": dict(_RULES),
        "attribution": [COINMETRICS_ATTRIBUTION],
        "coinmetrics_prices": prices.coinmetrics_notes,
        "price_ends_early": price_end_notes(close, prices.frames, snaps),
        "metric_sources": metric_sources,
        "assets": {a: {"close": prices.provenance[a], "market_cap": mc_prov.get(a)} for a in close.columns},
        "dropped": prices.dropped,
        "repairs": prices.repairs,
        "metrics": metric_notes,
        "incomplete_bars_dropped": {k: v for f in prices.frames for k, v in f.dropped_incomplete.items()},
    }
    return MarketData(close=close, volume=prices.volume, market_cap=market_cap, metrics=metrics, sentiment=sentiment,
                      assets=default_registry(), provenance=provenance, membership=membership)


def import_reference(src_dir: str | Path | None = None, data_dir: str | Path | None = None) -> MarketData:
    """Build the reference data set from a shared-data directory and write the parquet cache.

    Parameters
    ----------
    src_dir
        Directory in the layout of ``../shared/data`` (default
        :func:`indexer.config.shared_data_dir`).
    data_dir
        Cache root (default ``indexer.config.data_dir()``); the reference
        cache is ``<data_dir>/reference/``.

    Returns
    -------
    MarketData
        The full cached history (all rows, from the earliest price).
    """
    src = Path(src_dir) if src_dir is not None else shared_data_dir()
    if not src.is_dir():
        raise DataError(f"{src}: reference data directory not found")
    data = _build(src)
    save_market_data(data, reference_cache_dir(data_dir))
    return data


def load_reference(
    *,
    source: str | Path | None = None,
    data_dir: str | Path | None = None,
    refresh: bool = False,
    full_history: bool = False,
) -> MarketData:
    """Return the reference :class:`MarketData`: the cache, else an import of ``source``, else fetched data.

    Order: (1) the reference cache unless ``refresh``; (2) import ``source``
    (default ``../shared/data``) into the cache; (3) the first exchange cache
    written by ``indexer data fetch`` under ``<data_dir>/fetch/``.

    Parameters
    ----------
    source
        Shared-data directory to import from when there is no cache (default
        :func:`indexer.config.shared_data_dir`).
    data_dir
        Cache root (default ``indexer.config.data_dir()``).
    refresh
        Re-import from ``source`` even if a cache exists.
    full_history
        Return every cached row (from 2014-09-17) instead of rows from
        :data:`REFERENCE_START` on.

    Raises
    ------
    DataError
        When there is no cache, no source directory and no fetched data.
    """
    cache = reference_cache_dir(data_dir)
    start = None if full_history else REFERENCE_START
    src = Path(source) if source is not None else shared_data_dir()
    damaged = None
    if not refresh and is_complete(cache):
        try:
            return load_market_data(cache, start=start)
        except DataError as exc:
            if not src.is_dir():
                raise
            damaged, refresh = str(exc).split(";")[0], True
    elif not refresh and cache_problem(cache) not in (None, "missing"):
        damaged = f"cache {cache} is damaged ({cache_problem(cache)})"
    if damaged and src.is_dir():
        import warnings

        warnings.warn(f"{damaged}; rebuilding it from {src}", CacheRebuildWarning, stacklevel=2)
    if src.is_dir():
        with cache_lock(cache):  # another process may be importing right now: wait, then reuse its cache
            if not refresh and is_complete(cache):
                return load_market_data(cache, start=start)
            data = _build(src)
            save_market_data(data, cache, lock=False)
        return data if full_history else data.between(REFERENCE_START)
    from indexer.data.fetched_data import fetched_cache_dirs, load_fetched

    fetched = fetched_cache_dirs(data_dir)
    if fetched:
        return load_fetched(fetched[0])
    raise DataError(
        (f"{damaged} and " if damaged else f"no reference cache at {cache} and ")
        + f"no reference data directory at {src} to rebuild it from; run "
        "`indexer data import DIR` with a copy of the shared data, or `indexer data fetch --exchange binance "
        "--symbols BTC/USDT,ETH/USDT --since 2020-01-01`"
    )
