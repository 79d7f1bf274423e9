"""News from RSS/Atom feeds (parsed by ``feedparser``), tagged to assets like the reference news.

Each configured feed (e.g. CoinDesk ``https://www.coindesk.com/arc/outboundfeeds/rss/``,
Cointelegraph ``https://cointelegraph.com/rss``) is fetched through the rate
limited :class:`~indexer.data.live.http.SourceClient` and parsed with
``feedparser``.  An entry becomes a dated text: ``timestamp`` (UTC day of its
``published``/``updated`` time), ``text`` (title + summary without HTML),
``url``, ``feed``, ``assets`` tagged from the url slug and the text with
:func:`indexer.data.sources.sentiment_inputs.tag_assets` (the reference news rule) and no
``label``.  Feeds show only their latest entries, so each run keeps what is
new since the feed's cursor (newest entry seen); entries are de-duplicated by
url.  A feed that is not RSS/Atom or an entry without a link, title or date
raises :class:`SourceError` naming the feed, entry and field.
Terms: each publisher's own (headlines and summaries for personal,
non-commercial use; link back to the article).
"""

from __future__ import annotations

import calendar
import html
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from indexer.data.live.http import SourceClient, SourceError
from indexer.data.live.live_cache import SourceUpdate, read_frame
from indexer.data.sources.sentiment_inputs import _SLUG, tag_assets

__all__ = ["NEWS_LICENCE", "NEWS_COLUMNS", "parse_feed", "refresh_news", "news_path", "read_news_cache"]

NEWS_LICENCE = "publishers' feed terms (headlines/summaries, personal non-commercial use, link to the article)"
NEWS_COLUMNS = ["timestamp", "published", "text", "url", "feed", "label", "assets"]
_TAG = re.compile(r"<[^>]+>")


def news_path(root: Path) -> Path:
    """Return the cache file of the news texts under ``root``."""
    return Path(root) / "news.parquet"


def read_news_cache(root: Path) -> pd.DataFrame | None:
    """Return the cached texts (``assets`` as tuples), or ``None``."""
    raw = read_frame(news_path(root))
    if raw is None:
        return None
    raw = raw.copy()
    raw["assets"] = [tuple(a.split(",")) if a else () for a in raw["assets"].to_numpy(dtype=object)]
    return raw


def _clean(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", text or "")).split())


def parse_feed(content: bytes, feed: str, url: str) -> pd.DataFrame:
    """Entries of one RSS/Atom document -> texts (see module docstring)."""
    import feedparser

    what = f"news feed {feed!r} ({url})"
    parsed = feedparser.parse(content)
    exc = parsed.get("bozo_exception")
    if parsed.get("bozo") and not isinstance(exc, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)):
        raise SourceError(f"{what}: malformed feed: {type(exc).__name__}: {exc}")
    if not parsed.get("version"):
        raise SourceError(f"{what}: not an RSS or Atom document (field 'version' unknown)")
    recs = []
    for i, e in enumerate(parsed.entries):
        link, title = e.get("link"), e.get("title")
        t = e.get("published_parsed") or e.get("updated_parsed")
        for field, value in (("link", link), ("title", title), ("published", t)):
            if not value:
                raise SourceError(f"{what}: entry {i} ({link or title or '?'}) field {field!r} is missing or unreadable")
        published = pd.Timestamp(calendar.timegm(t), unit="s", tz="UTC")
        text = _clean(title)
        summary = _clean(e.get("summary", ""))
        if summary:
            text = f"{text}. {summary}"
        m = _SLUG.search(str(link))
        slug = m.group(1).replace("-", " ") if m else ""
        recs.append({"timestamp": published.floor("D"), "published": published, "text": text, "url": str(link),
                     "feed": feed, "label": np.nan, "assets": ",".join(tag_assets(slug, text))})
    return pd.DataFrame(recs, columns=NEWS_COLUMNS)


def refresh_news(feeds: Mapping[str, str], root: Path, *, now: pd.Timestamp, client: SourceClient,
                 seed: pd.DataFrame | None = None, since: pd.Timestamp | None = None) -> SourceUpdate:
    """Fetch new entries of every feed (``{name: url}``) since each feed's cursor.

    ``seed`` (dated texts with ``label``, e.g. the reference news) is written
    once into an empty cache so the walk-forward text model has labelled
    history to train on; live entries carry no label.
    """
    path = news_path(root)
    raw = read_frame(path)
    cached = raw if raw is not None else pd.DataFrame(columns=NEWS_COLUMNS)
    update = SourceUpdate("news", ", ".join(feeds.values()), None, 0, NEWS_LICENCE)
    parts = [cached]
    known = set(cached["url"].astype(str))
    fetched = []
    for name, url in feeds.items():
        fetched.append((name, parse_feed(client.get(url).content, name, url)))
    if raw is None and seed is not None and len(seed):
        # labelled history for the text model: only texts older than the first live entry (no overlap)
        firsts = [e["timestamp"].min() for _, e in fetched if len(e)]
        s = seed[seed["timestamp"] < min(firsts)].copy() if firsts else seed.copy()
        s["published"] = s["timestamp"]
        s["feed"] = "seed:reference"
        s["assets"] = [",".join(a) for a in s["assets"]]
        if "url" not in s.columns:
            s["url"] = ""
        parts.append(s.reindex(columns=NEWS_COLUMNS))
        update.details["seed"] = {"texts": len(s), "labelled": int(s["label"].notna().sum()),
                                  "last": None if s.empty else str(s["timestamp"].max().date())}
    for name, entries in fetched:
        mine = cached[cached["feed"] == name]
        cursor = pd.Timestamp(mine["published"].max()) if len(mine) else None
        keep = (entries["published"] <= now) & ~entries["url"].isin(known)
        if since is not None:
            keep &= entries["published"] >= since
        new = entries[keep].drop_duplicates("url")
        known |= set(new["url"])
        parts.append(new)
        newest = entries["published"].max() if len(entries) else None
        update.details[name] = {"entries": len(entries), "new": len(new),
                                "cursor": None if cursor is None else cursor.isoformat(),
                                "newest": None if newest is None or newest != newest else pd.Timestamp(newest).isoformat()}
        update.new_rows += len(new)
    merged = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else cached
    if len(merged) != len(cached):
        merged = merged.astype({"text": str, "url": str, "feed": str, "assets": str})
        merged["label"] = pd.to_numeric(merged["label"], errors="coerce").astype("float64")
        merged["timestamp"] = pd.to_datetime(merged["timestamp"], utc=True)
        merged["published"] = pd.to_datetime(merged["published"], utc=True)
        merged = merged.sort_values(["timestamp", "published"], kind="stable", ignore_index=True)
        update.staged.add(path, merged)
    live = merged[merged["feed"] != "seed:reference"] if len(merged) else merged
    update.last_bar = str(pd.Timestamp(live["timestamp"].max()).date()) if len(live) else None
    update.requests, update.retries = client.requests, list(client.retried)
    return update


