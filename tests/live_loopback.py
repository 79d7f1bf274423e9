"""Loopback servers speaking the five live sources' public APIs, serving real recorded rows.

One aiohttp application on ``http://127.0.0.1:<port>`` (a background thread):

* Binance spot ``/api/v3/exchangeInfo`` and ``/api/v3/klines`` (ccxt's binance client): daily bars of the
  Coinbase reference file (``../shared/data/coinbase_cmc``); with ``open_bar`` also today's still-open bar;
* CoinGecko ``/api/v3/coins/{id}/market_chart/range``: the reference daily market caps and closes;
* alternative.me ``/fng/?limit=N``: the reference Fear & Greed file (newest first, strings like the API);
* Coin Metrics community ``/v4/timeseries/asset-metrics``: the Coin Metrics BTC/ADA snapshots
  (2020-2026; ``FeeTotUSD`` = the snapshot's ``FeeTotNtv`` x ``PriceUSD``, as Coin Metrics defines it), string values, ``next_page_url`` paging, and the community limit (10 requests per
  ``cm_window`` s answered with HTTP 429 beyond it);
* RSS 2.0 feeds ``/feeds/<name>.xml``: the latest ``feed_size`` articles of the reference news (one item per url).

``last_day`` is the newest closed UTC day every source shows (tests move it to simulate new days).
``faults[prefix]`` is a list of actions consumed one per matching request: ``429``, ``500``, ``timeout``
(sleeps ``timeout_s``) or ``malformed`` (answers ``malformed[prefix]`` with HTTP 200).
Every request is logged in ``requests`` as ``(path, query)``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
import time
from collections import deque
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd
from aiohttp import web

from indexer.data.sources.coingecko import COINGECKO_IDS

DAY_MS = 86_400_000
BINANCE_FILTERS = [  # Binance spot filter values as recorded in ccxt's static binance markets fixture (BTC/USDT)
    {"filterType": "PRICE_FILTER", "minPrice": "0.01000000", "maxPrice": "1000000.00000000", "tickSize": "0.01000000"},
    {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000", "stepSize": "0.00001000"},
    {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": True, "maxNotional": "9000000.00000000"},
]


@functools.lru_cache(maxsize=2)
def recorded(shared: str) -> dict[str, Any]:
    """The real rows every endpoint serves (read once per process)."""
    root = Path(shared)
    raw = pd.read_csv(next((root / "coinbase_cmc").glob("coinbase_top200_daily_*.csv")))
    raw = raw[raw["symbol"] == raw["base"] + "/USD"].copy()
    raw["ts"] = pd.to_datetime(raw["date"], utc=True)
    bars = {a: g.set_index("ts").sort_index() for a, g in raw.groupby("base")}
    caps = pd.read_csv(root / "coinbase_cmc" / "daily_calculated_market_cap_clean.csv")
    caps["ts"] = pd.to_datetime(caps["date"], utc=True)
    caps = {a: g.set_index("ts")["market_cap"].sort_index() for a, g in caps.groupby("base")}
    fng = pd.read_csv(root / "crypto_fear_greed_index.csv")
    fng["ts"] = pd.to_datetime(fng["timestamp"], unit="s", utc=True).dt.floor("D")
    fng = fng.set_index("ts").sort_index()
    cm = {}
    for f in sorted((root / "onchain_coinmetrics_btc_ada_2020_2026").glob("coinmetrics_*.csv")):
        frame = pd.read_csv(f, dtype=str)
        frame.index = pd.to_datetime(frame["time"], utc=True)
        if "FeeTotUSD" not in frame and {"FeeTotNtv", "PriceUSD"} <= set(frame):
            # the snapshot kept fees in BTC only; the API also serves FeeTotUSD, which is Coin Metrics'
            # FeeTotNtv x PriceUSD of the same day (string values, empty where either is missing)
            usd = pd.to_numeric(frame["FeeTotNtv"]) * pd.to_numeric(frame["PriceUSD"])
            frame["FeeTotUSD"] = [repr(float(v)) if pd.notna(v) else None for v in usd]
        cm[f.stem.split("_")[1]] = frame
    news = pd.read_csv(root / "news" / "cryptonews_price_momentum.csv", dtype=str)
    news["ts"] = pd.to_datetime(news["datetime"], utc=True)
    news = news.drop_duplicates("url").sort_values("ts", kind="stable")
    return {"bars": bars, "caps": caps, "fng": fng, "cm": cm, "news": news}


class LiveSources:
    """The servers (see module docstring); use as a context manager."""

    def __init__(self, shared: Path, assets: tuple[str, ...] = ("BTC", "ETH"), *,
                 last_day: str = "2023-05-30", feeds: tuple[str, ...] = ("coindesk", "cointelegraph")) -> None:
        rec = recorded(str(shared))
        self.bars = {a: rec["bars"][a] for a in assets if a in rec["bars"]}
        self.caps, self.fng, self.cm, self.news = rec["caps"], rec["fng"], rec["cm"], rec["news"]
        self.coin_ids = {COINGECKO_IDS[a]: a for a in assets if a in COINGECKO_IDS}
        self.last_day = pd.Timestamp(last_day, tz="UTC")
        self.open_bar = False
        self.feed_names = feeds
        self.feed_size = 30
        self.cm_limit, self.cm_window = 10, 6.0
        self.cm_page_size: int | None = None
        self.faults: dict[str, list[str]] = {}
        self.malformed: dict[str, str] = {}
        self.timeout_s = 2.0
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.cm_times: deque[float] = deque()
        self.rejected = 0  #: HTTP 429 answers of the Coin Metrics rate limit
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.port = 0

    # ------------------------------------------------------------------ lifecycle
    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())

    def __enter__(self) -> LiveSources:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, **extra: Any) -> dict[str, Any]:
        """A ``LiveSettings`` mapping pointing every source here (fast backoff for tests)."""
        s = {
            "exchange": "binance", "ohlcv_urls": {"public": f"{self.url}/api/v3"},
            "coingecko_url": f"{self.url}/api/v3", "fear_greed_url": self.url, "coinmetrics_url": self.url,
            "feeds": {n: f"{self.url}/feeds/{n}.xml" for n in self.feed_names},
            "candidates": sorted(self.bars), "backoff_s": 0.01, "timeout_s": 1.0, "seed_news": False,
            "rates": {"market_cap": [1000, 1.0], "fear_greed": [1000, 1.0], "news": [1000, 1.0],
                      "onchain": [self.cm_limit, self.cm_window]},
        }
        s.update(extra)
        return s

    def count(self, prefix: str) -> int:
        return sum(p.startswith(prefix) for p, _ in self.requests)

    # ------------------------------------------------------------------ dispatch
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path, q = request.path, dict(request.query)
        self.requests.append((path, q))
        for prefix, actions in self.faults.items():
            if path.startswith(prefix) and actions:
                action = actions.pop(0)
                if action == "timeout":
                    await asyncio.sleep(self.timeout_s)
                    return web.json_response({"late": True})
                if action == "malformed":
                    return web.Response(text=self.malformed[prefix], content_type=_ctype(path))
                return web.json_response({"error": f"injected {action}"}, status=int(action))
        if path.startswith("/v4/"):
            now = time.monotonic()
            while self.cm_times and now - self.cm_times[0] >= self.cm_window:
                self.cm_times.popleft()
            if len(self.cm_times) >= self.cm_limit:
                self.rejected += 1
                return web.json_response({"error": {"type": "too_many_requests", "message": "Requests rate limit exceeded."}},
                                         status=429,
                                         headers={"Retry-After": f"{self.cm_window - (now - self.cm_times[0]):.2f}"})
            self.cm_times.append(now)
            return web.json_response(self.asset_metrics(q))
        if path == "/api/v3/exchangeInfo":
            return web.json_response(self.exchange_info())
        if path == "/api/v3/klines":
            return web.json_response(self.klines(q))
        if path.startswith("/api/v3/coins/") and path.endswith("/market_chart/range"):
            coin = path.split("/")[4]
            if coin not in self.coin_ids:
                return web.json_response({"error": "coin not found"}, status=404)
            return web.json_response(self.market_chart(coin, q))
        if path.rstrip("/") == "/fng":
            return web.json_response(self.fear_greed(q))
        if path.startswith("/feeds/"):
            return web.Response(text=self.rss(path.split("/")[-1].removesuffix(".xml")), content_type="application/rss+xml")
        return web.json_response({"error": f"unknown endpoint {path}"}, status=404)

    # ------------------------------------------------------------------ bodies
    def exchange_info(self) -> dict[str, Any]:
        symbols = [{
            "symbol": f"{a}USDT", "status": "TRADING", "baseAsset": a, "baseAssetPrecision": 8, "quoteAsset": "USDT",
            "quotePrecision": 8, "quoteAssetPrecision": 8, "orderTypes": ["LIMIT", "MARKET"], "icebergAllowed": True,
            "ocoAllowed": True, "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
            "filters": BINANCE_FILTERS, "permissions": [], "permissionSets": [["SPOT"]],
        } for a in self.bars]
        return {"timezone": "UTC", "serverTime": int(time.time() * 1000), "rateLimits": [], "symbols": symbols}

    def klines(self, q: dict[str, str]) -> list[list[Any]]:
        bars = self.bars[q["symbol"].removesuffix("USDT")].loc[: self.last_day]
        start = pd.Timestamp(int(q.get("startTime", 0)), unit="ms", tz="UTC")
        rows = bars.loc[start:].head(int(q.get("limit", 500)))
        out = []
        for ts, r in rows.iterrows():
            ms = int(ts.timestamp() * 1000)
            out.append([ms, str(r["open"]), str(r["high"]), str(r["low"]), str(r["close"]), str(r["volume"]),
                        ms + DAY_MS - 1, str(r["volume"] * r["close"]), 100, "0", "0", "0"])
        if self.open_bar and len(out) < int(q.get("limit", 500)) and len(bars):
            last = bars.iloc[-1]  # today's bar, still open: a few hours of trading
            ms = int((self.last_day + pd.Timedelta(days=1)).timestamp() * 1000)
            if ms >= start.timestamp() * 1000:
                c = float(last["close"]) * 1.5
                out.append([ms, str(last["close"]), str(c), str(last["close"]), str(c), "1.0", ms + DAY_MS - 1,
                            str(c), 5, "0", "0", "0"])
        return out

    def market_chart(self, coin: str, q: dict[str, str]) -> dict[str, Any]:
        asset = self.coin_ids[coin]
        lo = pd.Timestamp(int(q["from"]), unit="s", tz="UTC")
        hi = min(pd.Timestamp(int(q["to"]), unit="s", tz="UTC"), self.last_day + pd.Timedelta(hours=23))
        caps = self.caps[asset]
        caps = caps[(caps.index >= lo) & (caps.index <= hi)]
        px = self.bars[asset]["close"].reindex(caps.index)
        ms = [int(t.timestamp() * 1000) for t in caps.index]
        return {"prices": [[m, float(p)] for m, p in zip(ms, px, strict=True)], "market_caps": [[m, float(v)] for m, v in zip(ms, caps, strict=True)],
                "total_volumes": [[m, 0.0] for m in ms]}

    def fear_greed(self, q: dict[str, str]) -> dict[str, Any]:
        rows = self.fng.loc[: self.last_day + pd.Timedelta(days=1)].iloc[::-1]
        limit = int(q.get("limit", 1))
        rows = rows if limit == 0 else rows.head(limit)
        data = [{"value": str(r["value"]), "value_classification": str(r["classification"]),
                 "timestamp": str(int(ts.timestamp()))} for ts, r in rows.iterrows()]
        return {"name": "Fear and Greed Index", "data": data, "metadata": {"error": None}}

    def asset_metrics(self, q: dict[str, str]) -> dict[str, Any]:
        metrics = q["metrics"].split(",")
        start = pd.Timestamp(q.get("start_time", "2009-01-01"), tz="UTC")
        end = min(pd.Timestamp(q.get("end_time", "2100-01-01"), tz="UTC"), self.last_day)
        size = self.cm_page_size or int(q.get("page_size", 100))
        offset = int(q.get("next_page_token", 0))
        data = []
        for asset in q["assets"].split(","):
            frame = self.cm.get(asset)
            if frame is None:
                continue  # ignore_unsupported_errors=true: assets without community data are skipped
            rows = frame[(frame.index >= start) & (frame.index <= end)]
            for ts, r in rows.iterrows():
                rec = {"asset": asset, "time": ts.strftime("%Y-%m-%dT%H:%M:%S.000000000Z")}
                rec.update({m: r[m] for m in metrics if m in r.index and isinstance(r[m], str)})
                data.append(rec)
        page = data[offset: offset + size]
        out: dict[str, Any] = {"data": page}
        if offset + size < len(data):
            nq = {**q, "next_page_token": str(offset + size)}
            out["next_page_token"] = nq["next_page_token"]
            out["next_page_url"] = f"{self.url}/v4/timeseries/asset-metrics?" + "&".join(f"{k}={v}" for k, v in nq.items())
        return out

    def rss(self, feed: str) -> str:
        rows = self.news[self.news["ts"] <= self.last_day]
        rows = rows.iloc[self.feed_names.index(feed)::len(self.feed_names)].tail(self.feed_size).iloc[::-1]
        items = "".join(
            f"<item><title>{escape(str(r['text'])[:140])}</title><link>{escape(str(r['url']))}</link>"
            f"<description>{escape(str(r['text']))}</description>"
            f"<pubDate>{format_datetime((ts + pd.Timedelta(hours=12)).to_pydatetime())}</pubDate>"
            f"<guid>{escape(str(r['url']))}</guid></item>"
            for ts, r in zip(rows["ts"], rows.to_dict("records"), strict=True))
        return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{feed}</title>'
                f"<link>{self.url}</link><description>recorded news</description>{items}</channel></rss>")


def _ctype(path: str) -> str:
    return "application/rss+xml" if path.startswith("/feeds/") else "application/json"


def jdump(x: Any) -> str:
    return json.dumps(x)
