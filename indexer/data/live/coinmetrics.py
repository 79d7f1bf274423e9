"""On-chain metrics from the Coin Metrics community API v4 (no key), resumed from the cache.

Endpoint: ``GET {base}/v4/timeseries/asset-metrics?assets=btc&metrics=AdrActCnt,TxCnt&frequency=1d
&start_time=YYYY-MM-DD&page_size=10000&ignore_unsupported_errors=true`` answering
``{"data": [{"asset": "btc", "time": "2024-01-01T00:00:00.000000000Z", "AdrActCnt": "824382", ...}],
"next_page_url": ...}`` (values are strings; a metric the community tier does not carry for
an asset is simply absent).  Metric names are Coin Metrics' (``AdrActCnt``,
``TxCnt``, ``TxTfrValAdjUSD``, ``CapMrktCurUSD``, ``FeeTotUSD``, ...), the
names the on-chain signals read.  One file per asset in the Coin Metrics
layout (``onchain/<asset>.parquet``: ``time`` + one column per metric), read
back by :func:`indexer.data.sources.onchain_metrics.read_coinmetrics`.  Days from today on are
dropped (not final).  Rate limit of the community API: 10 requests per 6 s per
IP (the client keeps to it).  Licence: Coin Metrics community data, CC BY-NC
4.0 (non-commercial use, attribute Coin Metrics).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from indexer.data.live.http import SourceClient, SourceError
from indexer.data.live.live_cache import SourceUpdate, read_frame, read_state

__all__ = ["DEFAULT_COINMETRICS_URL", "COINMETRICS_LICENCE", "COINMETRICS_RATE", "refresh_onchain", "parse_asset_metrics"]

DEFAULT_COINMETRICS_URL = "https://community-api.coinmetrics.io"
COINMETRICS_LICENCE = "Coin Metrics community data, CC BY-NC 4.0 (non-commercial use; attribute Coin Metrics, Inc.)"
#: The community API's limit: 10 requests per 6 seconds.
COINMETRICS_RATE = (10, 6.0)


def parse_asset_metrics(rows: object, metrics: list[str], what: str) -> pd.DataFrame:
    """Rows of one ``data`` page -> frame (``asset``, ``time`` as UTC day, one float column per metric)."""
    if not isinstance(rows, list):
        raise SourceError(f"{what}: field 'data' is missing or not a list")
    recs = []
    for i, r in enumerate(rows):
        if not isinstance(r, dict) or not isinstance(r.get("asset"), str):
            raise SourceError(f"{what}: data[{i}] field 'asset' is missing; expected objects with asset, time and metrics")
        try:
            day = pd.Timestamp(str(r.get("time"))).tz_convert("UTC").floor("D")
        except (TypeError, ValueError):
            raise SourceError(f"{what}: data[{i}] ({r['asset']}) field 'time' is {r.get('time')!r}; "
                              "expected an ISO time such as 2024-01-01T00:00:00.000000000Z") from None
        rec = {"asset": r["asset"].lower(), "time": day}
        for m in metrics:
            v = r.get(m)
            if v is None:
                rec[m] = np.nan
                continue
            try:
                rec[m] = float(v)
            except (TypeError, ValueError):
                raise SourceError(f"{what}: data[{i}] ({r['asset']} {day.date()}) metric field {m!r} is {v!r}; "
                                  "expected a number") from None
            if not np.isfinite(rec[m]):
                raise SourceError(f"{what}: data[{i}] ({r['asset']} {day.date()}) metric field {m!r} is {v!r}; "
                                  "expected a finite number")
        recs.append(rec)
    return pd.DataFrame(recs, columns=["asset", "time", *metrics])


def refresh_onchain(
    assets: Iterable[str],
    metrics: Iterable[str],
    root: Path,
    *,
    since: pd.Timestamp,
    now: pd.Timestamp,
    client: SourceClient,
    base_url: str | None = None,
    page_size: int = 10_000,
) -> SourceUpdate:
    """Fetch new daily values of ``metrics`` for ``assets`` (symbols) after each asset's cursor.

    An asset whose cache lacks one of ``metrics`` is fetched again from ``since``
    (a strategy asking for a new metric gets its history).
    """
    metrics = sorted(set(metrics))
    base = (base_url or DEFAULT_COINMETRICS_URL).rstrip("/")
    url = f"{base}/v4/timeseries/asset-metrics"
    today = now.floor("D")
    update = SourceUpdate("onchain", url, None, 0, COINMETRICS_LICENCE)
    lasts = []
    asked = (read_state(Path(root)).get("onchain") or {}).get("details") or {}
    for symbol in assets:
        cm = symbol.lower()
        path = Path(root) / "onchain" / f"{cm}.parquet"
        cached = read_frame(path)
        complete = cached is not None and not cached.empty and all(m in cached.columns for m in metrics)
        cursor = since if not complete or cached is None else max(since, pd.Timestamp(cached["time"].iloc[-1]) + pd.Timedelta(days=1))
        before = asked.get(symbol) or {}
        last = None if cached is None or cached.empty else pd.Timestamp(cached["time"].iloc[-1])
        if (last is None and before.get("asked_at") and set(metrics) <= set(before.get("metrics") or [])
                and now - pd.Timestamp(before["asked_at"]) < pd.Timedelta(days=7)):
            # the community API served nothing for this asset: asked again once a week, not every run
            update.details[symbol] = {**before, "new_days": 0, "last": None,
                                      "note": "no community data served; asked again weekly"}
            continue
        if cursor >= today:
            if last is not None:
                lasts.append(last)
            update.details[symbol] = {**before, "new_days": 0, "last": None if last is None else str(last.date())}
            continue
        what = f"onchain (Coin Metrics {url}, asset {cm})"
        params: dict[str, object] | None = {
            "assets": cm, "metrics": ",".join(metrics), "frequency": "1d", "start_time": str(cursor.date()),
            "end_time": str((today - pd.Timedelta(days=1)).date()), "page_size": page_size,
            "ignore_unsupported_errors": "true", "paging_from": "start",
        }
        pages: list[pd.DataFrame] = []
        next_url: str | None = url
        seen: set[str | None] = set()
        while next_url:
            doc = client.get_json(next_url, params)
            if not isinstance(doc, dict):
                raise SourceError(f"{what}: expected a JSON object with a 'data' list, got {type(doc).__name__}")
            pages.append(parse_asset_metrics(doc.get("data"), metrics, what))
            next_url = doc.get("next_page_url") or None
            if next_url in seen:
                raise SourceError(f"{what}: field 'next_page_url' repeats {next_url!r}")
            seen.add(next_url)
            params = None  # the next page URL carries the query
        fresh = pd.concat(pages, ignore_index=True) if pages else parse_asset_metrics([], metrics, what)
        fresh = fresh[(fresh["asset"] == cm) & (fresh["time"] >= cursor) & (fresh["time"] < today)]
        served = [m for m in metrics if fresh[m].notna().any()]
        fresh = fresh.drop(columns="asset")
        if len(fresh):
            merged = fresh if cached is None or cached.empty else pd.concat([cached, fresh], ignore_index=True)
            merged = merged.drop_duplicates("time", keep="last").sort_values("time", ignore_index=True)
            update.staged.add(path, merged)
            cached = merged
        last = None if cached is None or cached.empty else pd.Timestamp(cached["time"].iloc[-1])
        if last is not None:
            lasts.append(last)
        det: dict[str, object] = {"new_days": len(fresh), "last": None if last is None else str(last.date()),
                                  "asked_at": now.isoformat(), "metrics": metrics}
        if len(fresh) and (missing := [m for m in metrics if m not in served]):
            det["not_served"] = missing
        update.details[symbol] = det
        update.new_rows += len(fresh)
    update.last_bar = str(max(lasts).date()) if lasts else None
    update.requests, update.retries = client.requests, list(client.retried)
    return update
