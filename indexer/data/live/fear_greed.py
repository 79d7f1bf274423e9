"""The Crypto Fear & Greed index (alternative.me public API, no key), resumed from the cache.

Endpoint: ``GET {base}/fng/?limit=<n>&format=json`` answering
``{"name": ..., "data": [{"value": "40", "value_classification": "Fear",
"timestamp": "1551157200"}, ...], "metadata": {"error": null}}`` (newest
first; ``limit=0``: the whole history since 2018-02-01).  A value is labelled
with its UTC day, as :func:`indexer.data.sources.sentiment_inputs.read_fear_greed` does for
the reference file.  Only days after the cached cursor are asked for.
Terms: free, attribution to alternative.me required; no stated rate limit
(the client keeps to 30 requests per minute).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from indexer.data.live.http import SourceClient, SourceError
from indexer.data.live.live_cache import SourceUpdate, read_frame

__all__ = ["DEFAULT_FNG_URL", "FNG_LICENCE", "refresh_fear_greed", "parse_fng", "fear_greed_path"]

DEFAULT_FNG_URL = "https://api.alternative.me"
FNG_LICENCE = "alternative.me Crypto Fear & Greed Index: free to use with attribution (alternative.me)"


def fear_greed_path(root: Path) -> Path:
    """Return the cache file of the Fear & Greed index under ``root``."""
    return Path(root) / "fear_greed.parquet"


def parse_fng(doc: object, what: str) -> pd.Series:
    """Daily values (0-100) indexed by UTC day from an ``/fng/`` answer (``SourceError`` naming the field)."""
    if not isinstance(doc, dict):
        raise SourceError(f"{what}: expected a JSON object with a 'data' list, got {type(doc).__name__}")
    err = (doc.get("metadata") or {}).get("error") if isinstance(doc.get("metadata"), dict) else None
    if err:
        raise SourceError(f"{what}: field 'metadata.error' says {err!r}")
    rows = doc.get("data")
    if not isinstance(rows, list):
        raise SourceError(f"{what}: field 'data' is missing or not a list")
    days, vals = [], []
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            raise SourceError(f"{what}: data[{i}] is {r!r}; expected an object with value and timestamp")
        try:
            ts = pd.Timestamp(int(str(r.get("timestamp"))), unit="s", tz="UTC").floor("D")
        except (TypeError, ValueError):
            raise SourceError(f"{what}: data[{i}] field 'timestamp' is {r.get('timestamp')!r}; expected unix seconds") from None
        try:
            v = float(str(r.get("value")))
        except (TypeError, ValueError):
            v = float("nan")
        if not 0.0 <= v <= 100.0:
            raise SourceError(f"{what}: data[{i}] ({ts.date()}) field 'value' is {r.get('value')!r}; expected a number in 0..100")
        days.append(ts)
        vals.append(v)
    s = pd.Series(vals, index=pd.DatetimeIndex(days, name="timestamp"), dtype="float64", name="fear_greed")
    return s[~s.index.duplicated(keep="first")].sort_index()


def refresh_fear_greed(root: Path, *, since: pd.Timestamp, now: pd.Timestamp, client: SourceClient,
                       base_url: str | None = None) -> SourceUpdate:
    """Fear & Greed values after the cached cursor up to today (UTC)."""
    base = (base_url or DEFAULT_FNG_URL).rstrip("/")
    url = f"{base}/fng/"
    path = fear_greed_path(root)
    cached = read_frame(path)
    cached_s = None if cached is None else cached["fear_greed"]
    today = now.floor("D")
    cursor = since if cached_s is None or cached_s.empty else max(since, cached_s.index[-1] + pd.Timedelta(days=1))
    update = SourceUpdate("fear_greed", url, None, 0, FNG_LICENCE)
    if cursor <= today:
        limit = 0 if cached_s is None or cached_s.empty else int((today - cursor).days) + 2
        fresh = parse_fng(client.get_json(url, {"limit": limit, "format": "json"}), f"fear_greed (alternative.me {url})")
        fresh = fresh[(fresh.index >= cursor) & (fresh.index <= today)]
        if len(fresh):
            merged = fresh if cached_s is None else pd.concat([cached_s, fresh])
            merged = merged[~merged.index.duplicated(keep="last")].sort_index()
            merged.index.name = "timestamp"
            update.staged.add(path, merged.to_frame("fear_greed"), index=True)
            cached_s = merged
        update.new_rows = len(fresh)
    update.last_bar = None if cached_s is None or cached_s.empty else str(cached_s.index[-1].date())
    update.requests, update.retries = client.requests, list(client.retried)
    return update
