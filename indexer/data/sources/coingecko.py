"""Daily market capitalisations (USD) from CoinGecko's public API into the local cache.

Endpoint: ``GET {base_url}/coins/{id}/market_chart/range?vs_currency=usd&from=<unix s>&to=<unix s>``
(``base_url`` defaults to ``$INDEXER_COINGECKO_URL`` or the public
``https://api.coingecko.com/api/v3``).  Values are labelled with their UTC
day (the last value of a day wins) and written to
``<data_dir>/fetch/<exchange>/market_cap/<ASSET>.parquet``; a second run asks
only for days after the last cached one.  Connection errors, timeouts, HTTP
429 and 5xx are retried with backoff; other HTTP errors raise
:class:`DataError` with CoinGecko's message.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from indexer.exceptions import DataError

__all__ = ["COINGECKO_URL_ENV", "DEFAULT_COINGECKO_URL", "COINGECKO_IDS", "coingecko_url", "fetch_market_caps"]

COINGECKO_URL_ENV = "INDEXER_COINGECKO_URL"
DEFAULT_COINGECKO_URL = "https://api.coingecko.com/api/v3"
#: Symbol -> CoinGecko coin id for the reference assets (extend with ``ids=``).
COINGECKO_IDS: dict[str, str] = {
    "BTC": "bitcoin", "ETH": "ethereum", "LTC": "litecoin", "BCH": "bitcoin-cash", "ETC": "ethereum-classic",
    "EOS": "eos", "DASH": "dash", "ALGO": "algorand", "LINK": "chainlink", "OXT": "orchid-protocol",
    "FIL": "filecoin", "GRT": "the-graph", "BNT": "bancor", "AAVE": "aave", "CRO": "crypto-com-chain",
    "IMX": "immutable-x", "ENS": "ethereum-name-service", "API3": "api3", "CVC": "civic", "BICO": "biconomy",
    "BLZ": "bluzelle", "LCX": "lcx", "EGLD": "elrond-erd-2", "LDO": "lido-dao", "MAGIC": "magic",
    "ADA": "cardano", "AVAX": "avalanche-2", "BNB": "binancecoin", "DOGE": "dogecoin", "DOT": "polkadot",
    "MATIC": "matic-network", "POL": "polygon-ecosystem-token", "SOL": "solana", "XRP": "ripple",
    "USDT": "tether", "USDC": "usd-coin", "DAI": "dai", "TRX": "tron", "XLM": "stellar", "ATOM": "cosmos",
    "UNI": "uniswap", "NEAR": "near", "SHIB": "shiba-inu", "TON": "the-open-network", "SUI": "sui",
}
_RETRY_STATUS = {429, 500, 502, 503, 504}


def coingecko_url(base_url: str | None = None) -> str:
    """Return the API base URL: argument, else ``$INDEXER_COINGECKO_URL``, else the public API."""
    return (base_url or os.environ.get(COINGECKO_URL_ENV) or DEFAULT_COINGECKO_URL).rstrip("/")


def _get(session: Any, url: str, params: dict[str, Any], *, retries: int, backoff: float, timeout: float) -> Any:
    import requests

    for attempt in range(retries + 1):
        try:
            resp = session.get(url, params=params, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            if attempt == retries:
                raise DataError(f"CoinGecko {url}: network error after {retries + 1} attempts: {exc}") from exc
        else:
            if resp.status_code == 200:
                try:
                    return resp.json()
                except ValueError as exc:
                    raise DataError(f"CoinGecko {url}: response is not JSON: {resp.text[:200]!r}") from exc
            if resp.status_code not in _RETRY_STATUS or attempt == retries:
                raise DataError(f"CoinGecko {url}: HTTP {resp.status_code}: {resp.text[:300]}")
        time.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")


def _read(path: Path) -> pd.Series:
    if not path.exists():
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([], tz="UTC", name="timestamp"), name="market_cap")
    try:
        return pd.read_parquet(path)["market_cap"]
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{path}: unreadable market-cap cache ({exc}); delete it to fetch again") from exc


def fetch_market_caps(
    assets: Iterable[str],
    since: Any,
    root: Path,
    *,
    base_url: str | None = None,
    ids: dict[str, str] | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 30.0,
    now: pd.Timestamp | None = None,
    session: Any = None,
) -> dict[str, dict[str, Any]]:
    """Fetch daily USD market caps of ``assets`` into ``root/market_cap/`` (resumable).

    Returns per asset ``{new_days, last, file}`` or ``{skipped: reason}``
    for symbols without a known CoinGecko id.
    """
    import requests

    url = coingecko_url(base_url)
    id_map = {**COINGECKO_IDS, **(ids or {})}
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    today = now.floor("D")
    start = pd.Timestamp(since)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    session = session or requests.Session()
    out: dict[str, dict[str, Any]] = {}
    for asset in assets:
        coin = id_map.get(asset)
        if coin is None:
            out[asset] = {"skipped": f"no CoinGecko id known for {asset}; pass ids={{'{asset}': '<coin-id>'}}"}
            continue
        path = root / "market_cap" / f"{asset}.parquet"
        cached = _read(path)
        cursor = start if cached.empty else max(start, cached.index[-1] + pd.Timedelta(days=1))
        new = 0
        if cursor < today:
            doc = _get(
                session,
                f"{url}/coins/{coin}/market_chart/range",
                {"vs_currency": "usd", "from": int(cursor.timestamp()), "to": int(today.timestamp()) - 1},
                retries=retries,
                backoff=backoff,
                timeout=timeout,
            )
            pts = doc.get("market_caps") if isinstance(doc, dict) else None
            if not isinstance(pts, list):
                raise DataError(f"CoinGecko {url}/coins/{coin}/market_chart/range: no 'market_caps' list in the response")
            if pts:
                frame = pd.DataFrame(pts, columns=["ms", "market_cap"])
                idx = pd.to_datetime(frame["ms"], unit="ms", utc=True).dt.floor("D")
                s = pd.Series(pd.to_numeric(frame["market_cap"], errors="coerce").to_numpy(), index=idx, name="market_cap")
                s = s[~s.index.duplicated(keep="last")]
                s = s[(s.index >= cursor) & (s.index < today) & (s > 0)]
                new = len(s)
                merged = pd.concat([cached, s]).sort_index()
                merged = merged[~merged.index.duplicated(keep="last")]
                merged.index.name = "timestamp"
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".parquet.tmp")
                merged.to_frame("market_cap").to_parquet(tmp)
                os.replace(tmp, path)
                cached = merged
        out[asset] = {"new_days": new, "last": str(cached.index[-1].date()) if len(cached) else None, "file": str(path)}
    return out
