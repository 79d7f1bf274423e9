"""Run the exchange simulator: in a background thread (tests, notebooks) or blocking (CLI).

The server binds to 127.0.0.1 only.  :class:`SimServer` owns one account
(API key and secret) with starting balances, the markets built from prices
(:func:`~indexer.execution.market_filters.build_markets`) and a
:class:`~indexer.sim.faults.FaultBook`.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import threading
import urllib.request
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web

from indexer.execution.market_filters import build_markets
from indexer.sim.app import build_app
from indexer.sim.faults import FaultBook, FaultRule
from indexer.sim.matching import Engine

__all__ = ["SimServer", "free_port", "HOST"]

HOST = "127.0.0.1"


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class SimServer:
    """A Binance-like spot exchange on ``http://127.0.0.1:<port>``.

    Parameters
    ----------
    prices
        Mid price per asset in USD (e.g. the reference data's last closes).
    balances
        Starting balances of the account, e.g. ``{"USDT": 10_000}``.
    port
        TCP port (0 picks a free one).
    faults
        Fault rules active from the start.
    api_key, api_secret
        Account credentials (random when omitted).
    engine_options
        Passed to :class:`~indexer.sim.matching.Engine` (fee_rate,
        seed, depth_usd, levels, level_bps, half_spread_bps, limit_fill_delay).
    btc_only
        Assets listed only against BTC.
    closes
        Optional daily close panel (USD, e.g. ``MarketData.close``) served as ``1d`` klines.
    missing
        Assets that get no market at all (like CRO, which Binance spot does not list).
    halted
        Market symbols listed but halted (``exchangeInfo`` status ``BREAK``; orders refused).
    """

    def __init__(
        self,
        prices: Mapping[str, float],
        balances: Mapping[str, Decimal | float | str] | None = None,
        *,
        port: int = 0,
        faults: Iterable[FaultRule] = (),
        api_key: str | None = None,
        api_secret: str | None = None,
        btc_only: Iterable[str] = (),
        closes: Any = None,
        missing: Iterable[str] = (),
        halted: Iterable[str] = (),
        **engine_options: Any,
    ) -> None:
        self.port = port or free_port()
        self.api_key = api_key or secrets.token_hex(16)
        self.api_secret = api_secret or secrets.token_hex(32)
        gone = set(missing)
        self.markets = build_markets({a: p for a, p in prices.items() if a not in gone}, btc_only=btc_only)
        bars = {}
        if closes is not None:  # a close panel (USD): serve ASSET/USDT daily klines
            bars = {m.id: closes[m.base].dropna() for m in self.markets.values()
                    if m.quote == "USDT" and m.base in closes.columns}
        self.engine = Engine(self.markets, prices, balances or {"USDT": 10_000}, bars=bars, **engine_options)
        self.engine.halted = {s.replace("/", "") for s in halted}
        self.faults = FaultBook(faults)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8765``."""
        return f"http://{HOST}:{self.port}"

    def ccxt_urls(self) -> dict[str, str]:
        """``exchange.urls['api']`` overrides pointing ccxt's binance client here."""
        api = f"{self.url}/api/v3"
        return {"public": api, "private": api, "v1": f"{self.url}/api/v1", "sapi": f"{self.url}/sapi/v1"}

    def _app(self) -> web.Application:
        return build_app(self.engine, api_key=self.api_key, api_secret=self.api_secret, faults=self.faults)

    # ------------------------------------------------------------ background mode
    def start(self) -> SimServer:
        """Serve from a daemon thread; returns once the port accepts connections."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._runner = web.AppRunner(self._app(), access_log=None)
                loop.run_until_complete(self._runner.setup())
                loop.run_until_complete(web.TCPSite(self._runner, HOST, self.port).start())
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name=f"exchange-sim-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        """Stop the background server."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> SimServer:
        """Start the server in a background thread."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop the server."""
        self.stop()

    # ------------------------------------------------------------ blocking mode
    def serve_forever(self) -> None:
        """Serve in the foreground until interrupted (Ctrl-C)."""
        web.run_app(self._app(), host=HOST, port=self.port, print=None, access_log=None)

    # ------------------------------------------------------------ helpers
    def control(self, path: str, payload: Any = None, method: str | None = None) -> Any:
        """Call a ``/_sim/...`` control endpoint (JSON in, JSON out)."""
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(f"{self.url}/_sim/{path}", data=data, method=method or ("POST" if data else "GET"),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback only
            return json.loads(resp.read())

    def write_config(self, path: str | Path, *, key_file: str | Path | None = None) -> Path:
        """Write a rebalance config (``--config``) and a 0600 key file for this simulator.

        The YAML names the key file; the key file holds ``apiKey`` and ``secret``.
        """
        path = Path(path)
        key_path = Path(key_file) if key_file else path.with_suffix(".keys.json")
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"apiKey": self.api_key, "secret": self.api_secret}, fh)
        os.chmod(key_path, 0o600)
        lines = [
            "# exchange simulator at " + self.url + " (written by `indexer exchange-sim --write-config`)",
            "exchange: binance",
            f"key_file: {key_path.resolve()}",
            "options:",
            "  fetchCurrencies: false",
            "  fetchMarkets: {types: [spot]}",
            "  fetchMargins: false",
            "urls:",
            "  api:",
        ] + [f"    {k}: {v}" for k, v in self.ccxt_urls().items()]
        path.write_text("\n".join(lines) + "\n")
        return path
