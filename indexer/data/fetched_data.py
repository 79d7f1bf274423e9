"""Fetched data in the cache: run a full fetch (ccxt OHLCV + CoinGecko market caps) and load it as ``MarketData``.

Quotes: closes quoted in a USD stablecoin (USDT, USDC, FDUSD, BUSD, DAI, TUSD)
or USD are taken as USD prices; USD volume = base volume x close.  Other
quotes are rejected.  When one base is fetched against several quotes the
first symbol listed wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from indexer.config import data_dir as default_data_dir
from indexer.data.market import MarketData
from indexer.data.panel import validate_panel
from indexer.data.registry import AssetRegistry, default_registry
from indexer.data.sources.ccxt_ohlcv import FetchReport, fetch_ohlcv, read_ohlcv_cache
from indexer.data.sources.coingecko import fetch_market_caps
from indexer.exceptions import DataError

__all__ = [
    "USD_QUOTES",
    "FETCH_MAX_GAP",
    "DEFAULT_FETCH_SYMBOLS",
    "fetch_to_cache",
    "fetch_reference",
    "fetched_cache_dirs",
    "load_fetched",
]

USD_QUOTES = frozenset({"USD", "USDT", "USDC", "FDUSD", "BUSD", "DAI", "TUSD"})
#: Longest run of missing daily bars accepted in fetched data.
FETCH_MAX_GAP = 3
#: Pairs ``fetch_reference`` downloads: large, long-listed assets plus USDC (as USDC/USDT).
DEFAULT_FETCH_SYMBOLS = tuple(
    f"{b}/USDT"
    for b in "BTC ETH BNB XRP ADA SOL DOGE TRX DOT LTC LINK AVAX BCH ETC XLM ATOM UNI FIL AAVE ALGO EOS DASH GRT NEAR USDC".split()
)


def fetch_to_cache(
    exchange_id: str,
    symbols: Iterable[str],
    since: Any,
    *,
    data_dir: str | Path | None = None,
    coingecko: bool = True,
    coingecko_url: str | None = None,
    coingecko_ids: dict[str, str] | None = None,
    **kwargs: Any,
) -> FetchReport:
    """Fetch OHLCV (and, with ``coingecko``, market caps) into ``<data_dir>/fetch/<exchange>/``.

    ``kwargs`` go to :func:`indexer.data.sources.ccxt_ohlcv.fetch_ohlcv` (``api_urls``,
    ``retries``, ``backoff``, ``max_age_days``, ``now``, ``progress``, ...).
    """
    symbols = list(symbols)
    for s in symbols:
        quote = s.split("/")[-1]
        if quote not in USD_QUOTES:
            raise DataError(f"symbol {s!r}: quote {quote!r} is not USD or a USD stablecoin ({', '.join(sorted(USD_QUOTES))})")
    report = fetch_ohlcv(exchange_id, symbols, since, data_dir=data_dir, **kwargs)
    if coingecko:
        bases = list(dict.fromkeys(s.split("/")[0] for s in symbols))
        report.market_caps = fetch_market_caps(
            bases,
            since,
            report.directory,
            base_url=coingecko_url,
            ids=coingecko_ids,
            retries=kwargs.get("retries", 3),
            backoff=kwargs.get("backoff", 1.0),
            now=kwargs.get("now"),
        )
    meta_path = report.directory / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    listed = list(dict.fromkeys([*meta.get("symbols", []), *symbols]))
    meta.update(
        {
            "exchange": exchange_id,
            "symbols": listed,
            "since": str(pd.Timestamp(since).date()),
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "coingecko": bool(coingecko) or meta.get("coingecko", False),
        }
    )
    meta_path.write_text(json.dumps(meta, indent=1))
    return report


def fetched_cache_dirs(data_dir: str | Path | None = None) -> list[Path]:
    """Exchange directories under ``<data_dir>/fetch`` holding a finished fetch (``meta.json``)."""
    root = Path(data_dir or default_data_dir()) / "fetch"
    return sorted(p for p in root.glob("*") if (p / "meta.json").is_file()) if root.is_dir() else []


def load_fetched(
    directory: str | Path, *, max_gap: int | None = FETCH_MAX_GAP, registry: AssetRegistry | None = None
) -> MarketData:
    """Build :class:`MarketData` from a fetch directory (``<data_dir>/fetch/<exchange>``)."""
    directory = Path(directory)
    meta_path = directory / "meta.json"
    if not meta_path.exists():
        raise DataError(f"{directory}: no fetched data (meta.json missing); run `indexer data fetch` first")
    meta = json.loads(meta_path.read_text())
    closes, vols, caps, files = {}, {}, {}, []
    for symbol in meta.get("symbols", []):
        base = symbol.split("/")[0]
        if base in closes:
            continue
        path = directory / "ohlcv" / f"{symbol.replace('/', '_')}.parquet"
        frame = read_ohlcv_cache(path)
        if frame.empty:
            continue
        files.append(str(path))
        idx = pd.DatetimeIndex(frame["timestamp"]).as_unit("ns")
        closes[base] = pd.Series(frame["close"].to_numpy(), index=idx)
        vols[base] = pd.Series((frame["volume"] * frame["close"]).to_numpy(), index=idx)
        cap_path = directory / "market_cap" / f"{base}.parquet"
        if cap_path.exists():
            cap = pd.read_parquet(cap_path)["market_cap"]
            cap.index = pd.DatetimeIndex(cap.index).as_unit("ns")
            caps[base] = cap
            files.append(str(cap_path))
    if not closes:
        raise DataError(f"{directory}: no cached OHLCV files; run `indexer data fetch` first")
    close = pd.DataFrame(closes).sort_index()
    index = pd.date_range(close.index[0], close.index[-1], freq="D", name="timestamp")
    close = close.reindex(index)
    volume = pd.DataFrame(vols).reindex(index=index, columns=close.columns)
    src = f"{directory} ({meta.get('exchange')})"
    close = validate_panel(close, source=src, field="close", max_gap=max_gap)
    volume = validate_panel(volume, source=src, field="volume", positive=False, max_gap=max_gap)
    market_cap = None
    if caps:
        market_cap = pd.DataFrame(caps).reindex(index=index, columns=close.columns).where(close.notna())
        market_cap = validate_panel(market_cap, source=src, field="market_cap", max_gap=None, allow_all_nan=True)
    return MarketData(
        close=close,
        volume=volume,
        market_cap=market_cap,
        assets=registry or default_registry(),
        provenance={
            "source": str(directory),
            "format": "fetched",
            "exchange": meta.get("exchange"),
            "fetched_at": meta.get("fetched_at"),
            "files": files,
            "rules": {"prices": "exchange closes in a USD stablecoin taken as USD", "volume": "base volume x close (USD)"},
        },
    )


def fetch_reference(
    *,
    exchange: str = "binance",
    symbols: Iterable[str] = DEFAULT_FETCH_SYMBOLS,
    since: Any = "2020-01-01",
    data_dir: str | Path | None = None,
    **kwargs: Any,
) -> FetchReport:
    """Download a reference-like universe (:data:`DEFAULT_FETCH_SYMBOLS` since 2020) into the cache.

    Unlisted pairs are skipped and reported; ``kwargs`` go to :func:`fetch_to_cache`.
    """
    kwargs.setdefault("skip_unlisted", True)
    return fetch_to_cache(exchange, symbols, since, data_dir=data_dir, **kwargs)
