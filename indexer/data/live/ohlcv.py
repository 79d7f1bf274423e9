"""Closed daily OHLCV bars through ccxt from the trading exchange, resumed from the cache.

Reuses the ``indexer data fetch`` machinery (:func:`indexer.data.sources.ccxt_ohlcv.make_exchange`,
:func:`~indexer.data.sources.ccxt_ohlcv.with_retries`: ccxt's own rate limiter, network
errors incl. HTTP 429 retried with backoff) and its file layout.  Only bars
dated before today (UTC) are kept: the bar of the current day is still open
and never used.  Every page is checked before anything is written: a bar
with a missing or non-positive price, high < low or a negative volume raises
:class:`SourceError` naming the exchange, symbol, day and field.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from indexer.data.live.http import SourceError
from indexer.data.live.live_cache import SourceUpdate
from indexer.data.sources.ccxt_ohlcv import make_exchange, read_ohlcv_cache, with_retries
from indexer.exceptions import DataError

__all__ = ["refresh_ohlcv", "ohlcv_path"]

_COLUMNS = ["timestamp", "open", "high", "low", "close", "volume"]


def ohlcv_path(root: Path, symbol: str) -> Path:
    """``root/ohlcv/<BASE>_<QUOTE>.parquet`` (the ``indexer data fetch`` layout)."""
    return Path(root) / "ohlcv" / f"{symbol.replace('/', '_')}.parquet"


def _page(rows: Any, what: str) -> pd.DataFrame:
    if not isinstance(rows, list):
        raise SourceError(f"{what}: expected a list of bars, got {type(rows).__name__}")
    for i, r in enumerate(rows):
        if not isinstance(r, (list, tuple)) or len(r) < 6:
            raise SourceError(f"{what}: bar {i} is {r!r}; expected [timestamp, open, high, low, close, volume]")
    frame = pd.DataFrame([list(r[:6]) for r in rows], columns=_COLUMNS)
    ts = pd.to_datetime(pd.to_numeric(frame["timestamp"], errors="coerce"), unit="ms", utc=True)
    if ts.isna().any():
        i = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise SourceError(f"{what}: bar {i} field 'timestamp' is {rows[i][0]!r}; expected milliseconds since 1970 UTC")
    frame["timestamp"] = ts
    for col in _COLUMNS[1:]:
        vals = pd.to_numeric(frame[col], errors="coerce")
        bad = vals.isna() | (vals < 0) | ((vals == 0) & (col != "volume"))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise SourceError(f"{what}: bar {ts.iloc[i].date()} field {col!r} is {rows[i][_COLUMNS.index(col)]!r}; "
                              "expected a positive number" + (" (>= 0)" if col == "volume" else ""))
        frame[col] = vals.astype("float64")
    if (frame["high"] < frame["low"]).any():
        i = int(np.flatnonzero((frame["high"] < frame["low"]).to_numpy())[0])
        raise SourceError(f"{what}: bar {ts.iloc[i].date()} field 'high' ({frame['high'].iloc[i]}) is below 'low' "
                          f"({frame['low'].iloc[i]})")
    return frame


def refresh_ohlcv(
    exchange_id: str,
    symbols: Iterable[str],
    root: Path,
    *,
    since: pd.Timestamp,
    now: pd.Timestamp,
    exchange: Any = None,
    api_urls: dict[str, str] | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    page_limit: int = 1000,
    timeout_ms: int = 10_000,
) -> SourceUpdate:
    """Fetch new closed daily bars of ``symbols`` after each one's cursor (the last cached bar).

    Symbols the exchange does not list are skipped and reported in ``details``.

    Raises
    ------
    SourceError
        A malformed bar (nothing is staged then) or the exchange failing after the retries.
    """
    ex = exchange if exchange is not None else make_exchange(exchange_id, api_urls=api_urls, timeout_ms=timeout_ms)
    closed_before = now.floor("D")  # today's bar is still open
    try:
        with_retries(ex.load_markets, what=f"{exchange_id} load_markets", retries=retries, backoff=backoff)
    except DataError as exc:
        raise SourceError(f"ohlcv: {exc}") from exc
    update = SourceUpdate("ohlcv", str(ex.urls.get("api", {}).get("public", exchange_id)) if isinstance(ex.urls.get("api"), dict)
                          else exchange_id, None, 0, f"{exchange_id} market data (exchange terms of use)")
    update.requests = 1  # load_markets (ccxt counts its own retries)
    lasts = []
    for symbol in symbols:
        if symbol not in ex.markets:
            update.details[symbol] = {"skipped": f"not listed on {exchange_id}"}
            continue
        path = ohlcv_path(root, symbol)
        cached = read_ohlcv_cache(path)
        cursor = since if cached.empty else max(since, cached["timestamp"].iloc[-1] + pd.Timedelta(days=1))
        new_parts = []
        while cursor < closed_before:
            ms = int(cursor.timestamp()) * 1000
            what = f"ohlcv {exchange_id} {symbol}"
            update.requests += 1
            try:
                rows = with_retries(functools.partial(ex.fetch_ohlcv, symbol, "1d", since=ms, limit=page_limit), what=what,
                                    retries=retries, backoff=backoff)
            except DataError as exc:
                raise SourceError(str(exc)) from exc
            except (TypeError, KeyError, ValueError, IndexError) as exc:  # ccxt could not parse the payload
                raise SourceError(f"{what}: malformed klines payload ({type(exc).__name__}: {exc})") from exc
            page = _page(rows or [], what)
            page = page[(page["timestamp"] >= cursor) & (page["timestamp"] < closed_before)]
            if page.empty:
                break
            new_parts.append(page)
            cursor = page["timestamp"].iloc[-1] + pd.Timedelta(days=1)
        new = sum(len(p) for p in new_parts)
        if new:
            parts = ([cached] if not cached.empty else []) + new_parts
            merged = pd.concat(parts, ignore_index=True).drop_duplicates("timestamp", keep="last")
            merged = merged.sort_values("timestamp", ignore_index=True)
            update.staged.add(path, merged)
            cached = merged
        last = None if cached.empty else cached["timestamp"].iloc[-1]
        if last is not None:
            lasts.append(last)
        update.details[symbol] = {"new_bars": new, "last": None if last is None else str(last.date())}
        update.new_rows += new
    update.last_bar = str(max(lasts).date()) if lasts else None
    return update
