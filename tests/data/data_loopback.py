"""A small loopback HTTP server speaking the few public endpoints ``indexer data fetch`` needs.

Binance spot: ``GET /api/v3/exchangeInfo`` and ``GET /api/v3/klines``;
CoinGecko: ``GET /api/v3/coins/{id}/market_chart/range``.  It serves real
reference rows (Coinbase daily OHLCV and daily market caps from
``../shared/data``) up to ``last_day``, which a test moves forward to
simulate new bars.  Every request is logged in ``requests``.
"""

from __future__ import annotations

import functools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd

DAY_MS = 86_400_000
COINS = {"bitcoin": "BTC", "ethereum": "ETH"}


def _filters() -> list[dict]:
    # Binance spot filter values as recorded in ccxt's static binance markets fixture (BTC/USDT).
    return [
        {"filterType": "PRICE_FILTER", "minPrice": "0.01000000", "maxPrice": "1000000.00000000", "tickSize": "0.01000000"},
        {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000", "stepSize": "0.00001000"},
        {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": True, "maxNotional": "9000000.00000000"},
    ]


@functools.lru_cache(maxsize=4)
def _real_rows(shared: str, assets: tuple[str, ...]) -> tuple[dict, dict]:
    """Coinbase daily bars and daily market caps of ``assets`` from the shared data (read once)."""
    root = Path(shared) / "coinbase_cmc"
    raw = pd.read_csv(next(root.glob("coinbase_top200_daily_*.csv")))
    raw = raw[raw["base"].isin(assets) & (raw["symbol"] == raw["base"] + "/USD")].copy()
    raw["ts"] = pd.to_datetime(raw["date"], utc=True)
    caps = pd.read_csv(root / "daily_calculated_market_cap_clean.csv")
    caps = caps[caps["base"].isin(assets)].copy()
    caps["ts"] = pd.to_datetime(caps["date"], utc=True)
    bars = {a: g.set_index("ts").sort_index() for a, g in raw.groupby("base")}
    return bars, {a: g.set_index("ts")["market_cap"].sort_index() for a, g in caps.groupby("base")}


class LoopbackMarket:
    """Serve Binance klines and CoinGecko market caps from real rows; ``last_day`` caps what is visible."""

    def __init__(self, shared: Path, assets: tuple[str, ...] = ("BTC", "ETH")) -> None:
        self.bars, self.caps = _real_rows(str(shared), assets)
        self.last_day = pd.Timestamp("2024-03-31", tz="UTC")
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.fail_next: dict[str, int] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> LoopbackMarket:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- endpoint bodies ---------------------------------------------------
    def exchange_info(self) -> dict:
        symbols = [
            {
                "symbol": f"{a}USDT",
                "status": "TRADING",
                "baseAsset": a,
                "baseAssetPrecision": 8,
                "quoteAsset": "USDT",
                "quotePrecision": 8,
                "quoteAssetPrecision": 8,
                "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
                "icebergAllowed": True,
                "ocoAllowed": True,
                "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": False,
                "filters": _filters(),
                "permissions": [],
                "permissionSets": [["SPOT"]],
            }
            for a in self.bars
        ]
        return {"timezone": "UTC", "serverTime": int(pd.Timestamp.now(tz="UTC").timestamp() * 1000), "rateLimits": [], "symbols": symbols}

    def klines(self, q: dict[str, str]) -> list[list]:
        asset = q["symbol"].removesuffix("USDT")
        bars = self.bars[asset].loc[: self.last_day]
        start = pd.Timestamp(int(q.get("startTime", 0)), unit="ms", tz="UTC")
        rows = bars.loc[start:].head(int(q.get("limit", 500)))
        out = []
        for ts, r in rows.iterrows():
            ms = int(ts.timestamp() * 1000)
            out.append(
                [ms, str(r["open"]), str(r["high"]), str(r["low"]), str(r["close"]), str(r["volume"]), ms + DAY_MS - 1,
                 str(r["volume"] * r["close"]), 100, "0", "0", "0"]
            )
        return out

    def market_chart(self, coin: str, q: dict[str, str]) -> dict:
        s = self.caps[COINS[coin]].loc[: self.last_day]
        lo = pd.Timestamp(int(q["from"]), unit="s", tz="UTC")
        hi = pd.Timestamp(int(q["to"]), unit="s", tz="UTC")
        s = s[(s.index >= lo) & (s.index <= hi)]
        pts = [[int(t.timestamp() * 1000), float(v)] for t, v in s.items()]
        return {"prices": pts, "market_caps": pts, "total_volumes": pts}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        market = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _send(self, code: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                u = urlparse(self.path)
                q = {k: v[-1] for k, v in parse_qs(u.query).items()}
                market.requests.append((u.path, q))
                if market.fail_next.get(u.path, 0) > 0:
                    market.fail_next[u.path] -= 1
                    return self._send(429, {"status": {"error_code": 429, "error_message": "rate limited"}})
                if u.path == "/api/v3/exchangeInfo":
                    return self._send(200, market.exchange_info())
                if u.path == "/api/v3/klines":
                    if q.get("symbol", "").removesuffix("USDT") not in market.bars:
                        return self._send(400, {"code": -1121, "msg": "Invalid symbol."})
                    return self._send(200, market.klines(q))
                parts = u.path.split("/")
                if len(parts) == 7 and parts[3] == "coins" and parts[5:] == ["market_chart", "range"]:
                    if parts[4] not in COINS:
                        return self._send(404, {"error": "coin not found"})
                    return self._send(200, market.market_chart(parts[4], q))
                return self._send(404, {"code": -1, "msg": f"unknown endpoint {u.path}"})

        return Handler
