"""Download daily OHLCV through ccxt's public endpoints into the local parquet cache.

``fetch_ohlcv(exchange_id, symbols, since)`` pages ``exchange.fetch_ohlcv``
(``1d``) from ``since`` or from the bar after the last cached one (resumable),
writes ``<data_dir>/fetch/<exchange>/ohlcv/<BASE>_<QUOTE>.parquet`` after every
page and keeps only completed bars (a bar dated D is complete once D+1 00:00
UTC has passed).  ccxt is caught here only: network errors (timeouts, rate
limits, exchange down) are retried with exponential backoff and, once the
retries are spent, raised as :class:`DataError` with the exchange's message;
other exchange errors (unknown symbol, bad request) raise at once.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from indexer.config import data_dir as default_data_dir
from indexer.exceptions import DataError, StaleDataError

__all__ = [
    "DAY_MS",
    "FetchReport",
    "fetch_root",
    "make_exchange",
    "fetch_ohlcv",
    "read_ohlcv_cache",
    "parse_symbols",
    "with_retries",
]

DAY_MS = 86_400_000
_COLUMNS = ["timestamp", "open", "high", "low", "close", "volume"]


@dataclass
class FetchReport:
    """What one fetch did: per symbol the new bars, first/last cached day and file."""

    exchange: str
    directory: Path
    symbols: dict[str, dict[str, Any]] = field(default_factory=dict)
    market_caps: dict[str, dict[str, Any]] = field(default_factory=dict)


def fetch_root(exchange_id: str, data_dir: str | Path | None = None) -> Path:
    """``<data_dir>/fetch/<exchange_id>`` (``data_dir`` defaults to ``indexer.config.data_dir()``)."""
    return Path(data_dir or default_data_dir()) / "fetch" / exchange_id


def parse_symbols(symbols: str | Iterable[str], quote: str = "USDT") -> list[str]:
    """``"BTC/USDT,ETH"`` -> ``["BTC/USDT", "ETH/USDT"]`` (bare bases get ``quote``)."""
    items = symbols.split(",") if isinstance(symbols, str) else list(symbols)
    out = []
    for s in (x.strip().upper() for x in items):
        if not s:
            continue
        out.append(s if "/" in s else f"{s}/{quote.upper()}")
    if not out:
        raise DataError("no symbols given; expected e.g. BTC/USDT,ETH/USDT")
    return out


def make_exchange(exchange_id: str, *, api_urls: dict[str, str] | None = None, timeout_ms: int = 10_000) -> Any:
    """Create a ccxt exchange for public market data (spot markets only, no credentials).

    ``api_urls`` overrides entries of ``exchange.urls["api"]`` (e.g.
    ``{"public": "http://127.0.0.1:8080/api/v3"}`` for a loopback server).
    """
    import ccxt

    cls = getattr(ccxt, exchange_id, None)
    if cls is None or not isinstance(cls, type):
        raise DataError(f"unknown exchange {exchange_id!r}; expected a ccxt exchange id such as binance, kraken, coinbase")
    options: dict[str, Any] = {"defaultType": "spot"}
    if exchange_id.startswith("binance"):  # load spot markets only; currencies need API keys there
        options.update({"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False})
    exchange = cls({"enableRateLimit": True, "timeout": timeout_ms, "options": options})
    if api_urls:
        api = exchange.urls.get("api")
        if isinstance(api, dict):
            api.update(api_urls)
        else:
            exchange.urls["api"] = dict(api_urls)
    return exchange


def with_retries(call: Callable[[], Any], *, what: str, retries: int = 3, backoff: float = 1.0) -> Any:
    """Run a ccxt call; retry only ccxt network errors (backoff x 2**attempt seconds).

    Raises
    ------
    DataError
        With the exchange's message once retries are spent, or at once for
        any other ccxt error (bad symbol, bad request, exchange error).
    """
    import ccxt

    for attempt in range(retries + 1):
        try:
            return call()
        except ccxt.NetworkError as exc:  # timeouts, rate limits, DDoS protection, exchange not available
            if attempt == retries:
                raise DataError(f"{what}: network error after {retries + 1} attempts: {type(exc).__name__}: {exc}") from exc
            time.sleep(backoff * 2**attempt)
        except ccxt.BadSymbol as exc:
            raise DataError(f"{what}: unknown symbol: {exc}") from exc
        except ccxt.BaseError as exc:
            raise DataError(f"{what}: {type(exc).__name__}: {exc}") from exc
    raise AssertionError("unreachable")


def _path(root: Path, symbol: str) -> Path:
    return root / "ohlcv" / f"{symbol.replace('/', '_')}.parquet"


def read_ohlcv_cache(path: Path) -> pd.DataFrame:
    """Read a cached OHLCV file (empty frame with the right columns if absent)."""
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in _COLUMNS}).astype({"timestamp": "datetime64[ms, UTC]"})
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: unreadable OHLCV cache ({exc}); delete it to fetch again") from exc


def _save(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _to_frame(rows: list[list[float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="ms", utc=True)
    return frame.astype({c: "float64" for c in _COLUMNS[1:]})


def fetch_ohlcv(
    exchange_id: str,
    symbols: Iterable[str],
    since: Any,
    *,
    data_dir: str | Path | None = None,
    exchange: Any = None,
    api_urls: dict[str, str] | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    page_limit: int = 1000,
    max_age_days: int | None = None,
    now: pd.Timestamp | None = None,
    progress: bool = True,
    skip_unlisted: bool = False,
) -> FetchReport:
    """Fetch daily OHLCV for ``symbols`` from ``since`` (UTC day) into the cache, resuming where it stopped.

    Parameters
    ----------
    exchange_id
        ccxt id (``binance``, ``kraken``, ...).
    symbols
        Unified symbols (``BTC/USDT``).
    since
        First UTC day wanted; ignored for symbols whose cache already goes past it.
    exchange
        A ready ccxt exchange (default :func:`make_exchange` with ``api_urls``).
    max_age_days
        Raise :class:`StaleDataError` when a symbol's newest bar is older than this.
    skip_unlisted
        Skip (and report) symbols the exchange does not list instead of raising.

    Returns
    -------
    FetchReport
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    root = fetch_root(exchange_id, data_dir)
    ex = exchange if exchange is not None else make_exchange(exchange_id, api_urls=api_urls)
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    complete_before = now.floor("D")  # bars dated before today are complete
    start = pd.Timestamp(since, tz="UTC") if pd.Timestamp(since).tzinfo is None else pd.Timestamp(since).tz_convert("UTC")
    with_retries(ex.load_markets, what=f"{exchange_id} load_markets", retries=retries, backoff=backoff)
    report = FetchReport(exchange_id, root)
    symbols = list(symbols)
    for s in [s for s in symbols if s not in ex.markets]:
        if not skip_unlisted:
            raise DataError(f"{exchange_id}: symbol {s!r} is not listed (it has {len(ex.markets)} spot markets)")
        report.symbols[s] = {"skipped": "not listed on the exchange"}
        symbols.remove(s)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), disable=not progress
    ) as bar:
        for symbol in symbols:
            path = _path(root, symbol)
            cached = read_ohlcv_cache(path)
            cursor = start if cached.empty else max(start, cached["timestamp"].iloc[-1] + pd.Timedelta(days=1))
            total = max(0, (complete_before - cursor).days)
            task = bar.add_task(f"{exchange_id} {symbol}", total=total)
            new = 0
            while cursor < complete_before:
                ms = int(cursor.timestamp()) * 1000
                rows = with_retries(
                    functools.partial(ex.fetch_ohlcv, symbol, "1d", since=ms, limit=page_limit),
                    what=f"{exchange_id} fetch_ohlcv {symbol}",
                    retries=retries,
                    backoff=backoff,
                )
                page = _to_frame(rows) if rows else _to_frame([])
                page = page[(page["timestamp"] >= cursor) & (page["timestamp"] < complete_before)]
                if page.empty:
                    break
                cached = pd.concat([cached, page], ignore_index=True) if not cached.empty else page.reset_index(drop=True)
                cached = cached.drop_duplicates("timestamp", keep="last").sort_values("timestamp", ignore_index=True)
                _save(cached, path)
                new += len(page)
                bar.update(task, advance=len(page))
                cursor = page["timestamp"].iloc[-1] + pd.Timedelta(days=1)
            bar.update(task, completed=total)
            if cached.empty:
                raise DataError(f"{exchange_id}: no daily bars for {symbol} since {start.date()}")
            last = cached["timestamp"].iloc[-1]
            if max_age_days is not None and (complete_before - last).days > max_age_days:
                raise StaleDataError(
                    f"{exchange_id} {symbol}: newest daily bar is {last.date()}, older than {max_age_days} days "
                    f"before {complete_before.date()}"
                )
            report.symbols[symbol] = {
                "new_bars": new,
                "first": str(cached["timestamp"].iloc[0].date()),
                "last": str(last.date()),
                "bars": len(cached),
                "file": str(path),
            }
    return report
