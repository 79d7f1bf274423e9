"""The simulator's HTTP face: Binance spot REST (``/api/v3``) on 127.0.0.1 with aiohttp.

Public: ``ping``, ``time``, ``exchangeInfo``, ``ticker/24hr``, ``ticker/price``,
``ticker/bookTicker``, ``depth``, ``klines`` (``1d`` only: the daily closes the
simulator was given, open = high = low = close, volume 0).  Signed (HMAC-SHA256 of the query string or
form body with the account secret, ``X-MBX-APIKEY`` header, ``timestamp``
within ``recvWindow``): ``account``, ``order`` (POST / GET / DELETE),
``openOrders``, ``allOrders``, ``myTrades``.  Test control (loopback, unsigned):
``GET /_sim/state``, ``POST|DELETE /_sim/faults``, ``GET /_sim/requests``,
``POST /_sim/prices``, ``POST /_sim/clock`` (``{"skew_ms": -3000}``),
``POST /_sim/drift`` (``{"bps_per_order": 10}``), ``POST /_sim/rest`` (a resting order of
someone else: ``{"symbol": "BTC/USDT", "side": "BUY", "qty": "0.01", "price": "50000"}``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, overload
from urllib.parse import parse_qsl

from aiohttp import web

from indexer.execution.market_filters import exchange_info_symbol
from indexer.sim.faults import FaultBook, FaultRule
from indexer.sim.matching import Engine, SimError, SimOrder

__all__ = ["build_app", "public_routes", "account_routes", "api_handler", "add_control_routes"]

SIGNED = {"account", "order", "openOrders", "allOrders", "myTrades"}
Handler = Callable[[web.Request, dict[str, str]], Awaitable[Any]]


def _err(status: int, code: int, msg: str) -> web.Response:
    return web.json_response({"code": code, "msg": msg}, status=status)


@overload
def _dec(params: dict[str, str], name: str, required: Literal[True] = ...) -> Decimal: ...
@overload
def _dec(params: dict[str, str], name: str, required: bool) -> Decimal | None: ...
def _dec(params: dict[str, str], name: str, required: bool = True) -> Decimal | None:
    raw = params.get(name)
    if raw is None:
        if required:
            raise SimError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise SimError(400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'.") from None


def build_app(engine: Engine, *, api_key: str, api_secret: str, faults: FaultBook) -> web.Application:
    """Return the aiohttp application serving ``engine`` for one account: ``/api/v3`` plus the ``/_sim`` controls."""
    requests_log: list[dict[str, Any]] = []
    routes = {**public_routes(engine), **account_routes(engine)}
    app = web.Application()
    app.router.add_route("*", "/api/v3/{path:.+}",
                         api_handler(engine, routes, api_key=api_key, api_secret=api_secret, faults=faults,
                                     requests_log=requests_log))
    add_control_routes(app, engine, faults, requests_log)
    return app


def _verify_signature(engine: Engine, request: web.Request, raw: str, params: dict[str, str], *, api_key: str,
                      api_secret: str) -> None:
    """Binance's signed-endpoint checks: API key header, HMAC-SHA256 signature, ``timestamp`` in ``recvWindow``."""
    if request.headers.get("X-MBX-APIKEY") != api_key:
        raise SimError(401, -2015, "Invalid API-key, IP, or permissions for action.")
    payload, sep, sig = raw.rpartition("&signature=")
    if not sep:
        raise SimError(400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
    want = hmac.new(api_secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, sig):
        raise SimError(400, -1022, "Signature for this request is not valid.")
    try:
        ts, window = int(params["timestamp"]), int(params.get("recvWindow", "5000"))
    except (KeyError, ValueError):
        raise SimError(400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.") from None
    now = engine.now_ms()
    if ts > now + 1000 or now - ts > min(window, 60000):
        raise SimError(400, -1021, "Timestamp for this request is outside of the recvWindow.")


def _order_json(o: SimOrder, full: bool = False) -> dict[str, Any]:
    body = o.to_json()
    if full:
        body["transactTime"] = o.time_ms
        body["fills"] = list(o.fills)
    return body


def _one_or_list(p: dict[str, str], rows: list[dict[str, Any]]) -> Any:
    return rows[0] if "symbol" in p else rows


def public_routes(engine: Engine) -> dict[str, Handler]:
    """Unsigned market-data endpoints of ``/api/v3``: ping, time, exchangeInfo, tickers, depth, klines."""

    def symbols(p: dict[str, str]) -> list[str]:
        if "symbol" in p:
            engine.spec(p["symbol"])
            return [p["symbol"]]
        if "symbols" in p:
            import json

            return [s for s in json.loads(p["symbols"]) if engine.spec(s)]
        return list(engine.specs)

    async def ping(request: web.Request, p: dict[str, str]) -> Any:
        return {}

    async def server_time(request: web.Request, p: dict[str, str]) -> Any:
        return {"serverTime": engine.now_ms()}

    async def exchange_info(request: web.Request, p: dict[str, str]) -> Any:
        return {"timezone": "UTC", "serverTime": int(time.time() * 1000), "rateLimits": [],
                "exchangeFilters": [], "symbols": [exchange_info_symbol(s, "BREAK" if s.id in engine.halted else "TRADING")
                            for s in engine.specs.values()]}

    async def ticker_24hr(request: web.Request, p: dict[str, str]) -> Any:
        rows, now = [], int(time.time() * 1000)
        for s in symbols(p):
            (bid, bq), (ask, aq) = engine.book(s, 1)[0][0], engine.book(s, 1)[1][0]
            mid = engine.mids[s]
            rows.append({"symbol": s, "priceChange": "0", "priceChangePercent": "0", "weightedAvgPrice": str(mid),
                         "prevClosePrice": str(mid), "lastPrice": str(mid), "lastQty": "0", "bidPrice": str(bid),
                         "bidQty": str(bq), "askPrice": str(ask), "askQty": str(aq), "openPrice": str(mid),
                         "highPrice": str(mid), "lowPrice": str(mid), "volume": "0", "quoteVolume": "0",
                         "openTime": now - 86_400_000, "closeTime": now, "firstId": 0, "lastId": 0, "count": 0})
        return _one_or_list(p, rows)

    async def ticker_price(request: web.Request, p: dict[str, str]) -> Any:
        return _one_or_list(p, [{"symbol": s, "price": str(engine.mids[s])} for s in symbols(p)])

    async def book_ticker(request: web.Request, p: dict[str, str]) -> Any:
        rows = []
        for s in symbols(p):
            bids, asks = engine.book(s, 1)
            rows.append({"symbol": s, "bidPrice": str(bids[0][0]), "bidQty": str(bids[0][1]),
                         "askPrice": str(asks[0][0]), "askQty": str(asks[0][1])})
        return _one_or_list(p, rows)

    async def depth(request: web.Request, p: dict[str, str]) -> Any:
        bids, asks = engine.book(p.get("symbol", ""), int(p.get("limit", "100")))
        return {"lastUpdateId": int(time.time()), "bids": [[str(a), str(b)] for a, b in bids],
                "asks": [[str(a), str(b)] for a, b in asks]}

    async def klines(request: web.Request, p: dict[str, str]) -> Any:
        spec = engine.spec(p.get("symbol", ""))
        if p.get("interval") != "1d":
            raise SimError(400, -1120, "Invalid interval.")
        bars = engine.bars.get(spec.id)
        if bars is None:
            return []
        start, end = p.get("startTime"), p.get("endTime")
        ms = bars.index.as_unit("ms").asi8 if len(bars) else []
        rows = []
        for t, close in zip(ms, bars.to_numpy(), strict=True):
            if (start and t < int(start)) or (end and t > int(end)) or close != close:
                continue
            c = f"{close:.8f}"
            rows.append([int(t), c, c, c, c, "0", int(t) + 86_399_999, "0", 0, "0", "0", "0"])
        return rows[: min(int(p.get("limit", "500")), 1000)]

    return {"ping": ping, "time": server_time, "exchangeInfo": exchange_info, "ticker/24hr": ticker_24hr,
            "ticker/price": ticker_price, "ticker/bookTicker": book_ticker, "depth": depth, "klines": klines}


def account_routes(engine: Engine) -> dict[str, Handler]:
    """Signed endpoints of ``/api/v3`` (see :data:`SIGNED`): account, order, openOrders, allOrders, myTrades."""

    async def account(request: web.Request, p: dict[str, str]) -> Any:
        fee = str(engine.fee_rate)
        return {"makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
                "commissionRates": {"maker": fee, "taker": fee, "buyer": "0", "seller": "0"},
                "canTrade": True, "canWithdraw": False, "canDeposit": False, "brokered": False,
                "requireSelfTradePrevention": False, "preventSor": False, "updateTime": int(time.time() * 1000),
                "accountType": "SPOT", "balances": engine.account(), "permissions": ["SPOT"], "uid": 1}

    async def order(request: web.Request, p: dict[str, str], rules: Sequence[FaultRule] = ()) -> Any:
        sym = p.get("symbol", "")
        if request.method == "GET":
            return _order_json(engine.find(sym, p.get("orderId"), p.get("origClientOrderId")))
        if request.method == "DELETE":
            o = engine.cancel(sym, p.get("orderId"), p.get("origClientOrderId"))
            body = _order_json(o)
            body.update(origClientOrderId=o.client_order_id, clientOrderId=f"cancel{o.order_id}",
                        transactTime=int(time.time() * 1000))
            return body
        partial = next((r for r in rules if r.kind == "partial"), None)
        frac = Decimal(str(partial.number(0.5))) if partial else None
        o = engine.create(sym, p.get("side", ""), p.get("type", ""), _dec(p, "quantity"),
                          _dec(p, "price", required=False), p.get("newClientOrderId"), fill_fraction=frac)
        return _order_json(o, full=p.get("newOrderRespType", "FULL") != "ACK")

    async def open_orders(request: web.Request, p: dict[str, str]) -> Any:
        return [_order_json(o) for o in engine.open_orders(p.get("symbol"))]

    async def all_orders(request: web.Request, p: dict[str, str]) -> Any:
        engine.poll()
        return [_order_json(o) for o in engine.orders.values() if o.symbol == p.get("symbol")]

    async def my_trades(request: web.Request, p: dict[str, str]) -> Any:
        sym, oid = p.get("symbol"), p.get("orderId")
        return [t for t in engine.trades if t["symbol"] == sym and (oid is None or str(t["orderId"]) == oid)]

    return {"account": account, "order": order, "openOrders": open_orders, "allOrders": all_orders,
            "myTrades": my_trades}


async def _injected_fault(rules: list[FaultRule], method: str, path: str) -> tuple[web.Response | None, float]:
    """Apply the fault rules that fired for a request: ``(response to send instead or None, delay after, s)``."""
    after_delay = 0.0
    for rule in rules:
        if rule.kind == "latency":
            await asyncio.sleep(rule.number(0.5))
        elif rule.kind == "timeout":
            after_delay = max(after_delay, rule.number(30.0))
        elif rule.kind == "429":
            secs = rule.number(1.0)
            return web.json_response({"code": -1003, "msg": "Too many requests; current limit is 1200 request weight per 1 MINUTE."},
                                     status=429, headers={"Retry-After": f"{secs:g}"}), after_delay
        elif rule.kind == "5xx":
            return web.Response(status=int(rule.number(503)), text="Service Unavailable"), after_delay
        elif rule.kind == "1001":
            return _err(int(rule.number(503)), -1001,
                        "Internal error; unable to process your request. Please try again."), after_delay
        elif rule.kind == "reject_balance" and path == "order" and method == "POST":
            return _err(400, -2010, "Account has insufficient balance for requested action."), after_delay
        elif rule.kind == "reject_filter" and path == "order" and method == "POST":
            return _err(400, -1013, f"Filter failure: {rule.value or 'LOT_SIZE'}"), after_delay
    return None, after_delay


def api_handler(engine: Engine, routes: dict[str, Handler], *, api_key: str, api_secret: str, faults: FaultBook,
                requests_log: list[dict[str, Any]]) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Return the ``/api/v3/{path}`` handler: log the request, apply injected faults, verify signed calls, dispatch."""

    async def api(request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        handler = routes.get(path)
        if handler is None:
            return _err(404, -1000, f"simulator does not serve /api/v3/{path}")
        body = await request.text() if request.can_read_body else ""
        raw = body if request.method == "POST" else request.query_string
        params = dict(parse_qsl(request.query_string, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        requests_log.append({"method": request.method, "path": path, "symbol": params.get("symbol"),
                             "clientOrderId": params.get("newClientOrderId"), "time": time.time()})
        rules = faults.take(request.method, path)
        instead, after_delay = await _injected_fault(rules, request.method, path)
        if instead is not None:
            return instead
        try:
            if path in SIGNED:
                _verify_signature(engine, request, raw, params, api_key=api_key, api_secret=api_secret)
            if path == "order":
                result = await handler(request, params, rules)  # type: ignore[call-arg]
            else:
                result = await handler(request, params)
            response = web.json_response(result)
        except SimError as exc:
            response = _err(exc.status, exc.code, exc.msg)
        if after_delay:
            await asyncio.sleep(after_delay)
        return response

    return api


def add_control_routes(app: web.Application, engine: Engine, faults: FaultBook,
                       requests_log: list[dict[str, Any]]) -> None:
    """Add the unsigned test controls under ``/_sim``: state, faults, request log, prices, clock, drift, resting orders."""

    async def state(request: web.Request) -> web.Response:
        engine.poll()
        return web.json_response({
            "balances": {a["asset"]: {"free": a["free"], "locked": a["locked"]} for a in engine.account()},
            "orders": [o.to_json() for o in engine.orders.values()],
            "trades": len(engine.trades), "faults": faults.to_json(),
            "prices": {s: str(m) for s, m in engine.mids.items()},
        })

    async def set_faults(request: web.Request) -> web.Response:
        if request.method == "DELETE":
            faults.clear()
            return web.json_response({"faults": []})
        data = await request.json()
        faults.add(FaultRule(**{k: v for k, v in r.items() if k != "fired"}) for r in data)
        return web.json_response({"faults": faults.to_json()})

    async def get_requests(request: web.Request) -> web.Response:
        return web.json_response(requests_log)

    async def set_prices(request: web.Request) -> web.Response:
        data = await request.json()
        for sym, px in data.items():
            spec = engine.spec(sym.replace("/", ""))
            engine.mids[spec.id] = Decimal(str(px)).quantize(spec.tick_size)
        return web.json_response({"prices": {s: str(m) for s, m in engine.mids.items()}})

    async def set_clock(request: web.Request) -> web.Response:
        engine.clock_skew_ms = int((await request.json()).get("skew_ms", 0))
        return web.json_response({"skew_ms": engine.clock_skew_ms})

    async def set_drift(request: web.Request) -> web.Response:
        engine.drift_bps_per_order = float((await request.json()).get("bps_per_order", 0.0))
        return web.json_response({"bps_per_order": engine.drift_bps_per_order})

    async def rest_order(request: web.Request) -> web.Response:
        d = await request.json()
        try:
            o = engine.rest(d["symbol"].replace("/", ""), d.get("side", "BUY"), Decimal(str(d["qty"])),
                            Decimal(str(d["price"])), d.get("client_id", f"user-{len(engine.orders) + 1}"))
        except SimError as exc:
            return _err(exc.status, exc.code, exc.msg)
        return web.json_response(o.to_json())

    app.router.add_get("/_sim/state", state)
    app.router.add_route("POST", "/_sim/faults", set_faults)
    app.router.add_route("DELETE", "/_sim/faults", set_faults)
    app.router.add_get("/_sim/requests", get_requests)
    app.router.add_post("/_sim/prices", set_prices)
    app.router.add_post("/_sim/clock", set_clock)
    app.router.add_post("/_sim/drift", set_drift)
    app.router.add_post("/_sim/rest", rest_order)
