"""Daily market caps and circulating supply from CoinGecko's public API, resumed from the cache.

Endpoint (the one ``indexer data fetch`` uses, :mod:`indexer.data.sources.coingecko`):
``GET {base}/coins/{id}/market_chart/range?vs_currency=usd&from=<unix s>&to=<unix s>``
answering ``{"prices": [[ms, usd], ...], "market_caps": [[ms, usd], ...], "total_volumes": [...]}``.
A value is labelled with its UTC day (the last value of a day wins); days from
today on are dropped (not final).  Circulating supply = market cap / price
(units).  The keyless public API allows about 5-30 calls per minute and, since
2024, only the last 365 days of history: the first fetch starts at most
``max_history_days`` ago.  Terms: CoinGecko API terms (attribution required).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from indexer.data.live.http import SourceClient, SourceError
from indexer.data.live.live_cache import SourceUpdate, read_frame
from indexer.data.sources.coingecko import COINGECKO_IDS, coingecko_url

__all__ = ["refresh_market_caps", "parse_market_chart", "COINGECKO_LICENCE"]

COINGECKO_LICENCE = "CoinGecko API terms of use (free tier, attribution to CoinGecko required)"


def _points(doc: dict[str, Any], key: str, what: str) -> pd.Series:
    pts = doc.get(key)
    if not isinstance(pts, list):
        raise SourceError(f"{what}: field {key!r} is missing or not a list of [ms, value] pairs")
    for i, p in enumerate(pts):
        if not (isinstance(p, (list, tuple)) and len(p) == 2 and isinstance(p[0], (int, float))
                and (p[1] is None or isinstance(p[1], (int, float)))):
            raise SourceError(f"{what}: field {key!r} item {i} is {p!r}; expected [milliseconds, number]")
    if not pts:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([], tz="UTC"))
    arr = np.array([[p[0], np.nan if p[1] is None else p[1]] for p in pts], dtype="float64")
    idx = pd.to_datetime(arr[:, 0], unit="ms", utc=True).floor("D")
    s = pd.Series(arr[:, 1], index=idx)
    return s[~s.index.duplicated(keep="last")]


def parse_market_chart(doc: Any, what: str) -> pd.DataFrame:
    """``market_cap`` (USD) and ``supply`` (units) per UTC day from a ``market_chart/range`` answer.

    Raises
    ------
    SourceError
        A field missing or malformed (names it and the item).
    """
    if not isinstance(doc, dict):
        raise SourceError(f"{what}: expected a JSON object with 'market_caps' and 'prices', got {type(doc).__name__}")
    caps = _points(doc, "market_caps", what)
    prices = _points(doc, "prices", what)
    frame = pd.DataFrame({"market_cap": caps}).join(prices.rename("price"), how="left")
    frame["supply"] = frame["market_cap"] / frame["price"].where(frame["price"] > 0)
    frame.index.name = "timestamp"
    return frame[frame["market_cap"] > 0][["market_cap", "supply"]]


def refresh_market_caps(
    assets: Iterable[str],
    root: Path,
    *,
    since: pd.Timestamp,
    now: pd.Timestamp,
    client: SourceClient,
    base_url: str | None = None,
    ids: dict[str, str] | None = None,
    max_history_days: int | None = 365,
) -> SourceUpdate:
    """Fetch new daily caps of ``assets`` after each one's last cached day (``root/market_cap/<ASSET>.parquet``)."""
    url = coingecko_url(base_url)
    id_map = {**COINGECKO_IDS, **(ids or {})}
    today = now.floor("D")
    start = since
    if max_history_days is not None:
        start = max(start, today - pd.Timedelta(days=max_history_days - 1))
    update = SourceUpdate("market_cap", url, None, 0, COINGECKO_LICENCE)
    lasts = []
    for asset in assets:
        coin = id_map.get(asset)
        if coin is None:
            update.details[asset] = {"skipped": f"no CoinGecko id known for {asset}"}
            continue
        path = Path(root) / "market_cap" / f"{asset}.parquet"
        cached = read_frame(path)
        cursor = start if cached is None or cached.empty else max(start, cached.index[-1] + pd.Timedelta(days=1))
        new = 0
        if cursor < today:
            what = f"market_cap (CoinGecko {url}/coins/{coin}/market_chart/range)"
            doc = client.get_json(f"{url}/coins/{coin}/market_chart/range",
                                  {"vs_currency": "usd", "from": int(cursor.timestamp()), "to": int(today.timestamp()) - 1})
            fresh = parse_market_chart(doc, what)
            fresh = fresh[(fresh.index >= cursor) & (fresh.index < today)]
            new = len(fresh)
            if new:
                merged = fresh if cached is None or cached.empty else pd.concat([cached.reindex(columns=fresh.columns), fresh])
                merged = merged[~merged.index.duplicated(keep="last")].sort_index()
                merged.index.name = "timestamp"
                update.staged.add(path, merged, index=True)
                cached = merged
        last = None if cached is None or cached.empty else cached.index[-1]
        if last is not None:
            lasts.append(last)
        update.details[asset] = {"new_days": new, "last": None if last is None else str(last.date())}
        update.new_rows += new
    update.last_bar = str(max(lasts).date()) if lasts else None
    update.requests, update.retries = client.requests, list(client.retried)
    return update
