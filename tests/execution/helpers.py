"""Helpers for execution tests: targets, brokers on the simulator, duplicate checks."""

from __future__ import annotations

from typing import Any

import pandas as pd

from indexer._typing import TargetPortfolio
from indexer.execution import CcxtBroker, Credentials
from indexer.sim import SimServer

#: A small market for fast tests (USD prices near the reference data's last closes).
PRICES = {"BTC": 111466.2, "ETH": 3931.0, "ADA": 0.6512, "LTC": 96.17, "XRP": 2.43, "LINK": 17.985,
          "BNB": 1108.4, "PEPE": 7.13e-6, "XYZ": 2.5}


def target(weights: dict[str, float]) -> TargetPortfolio:
    """A TargetPortfolio at a fixed time (CASH filled in)."""
    w = pd.Series(weights, dtype=float)
    if "CASH" not in w.index:
        w["CASH"] = max(0.0, 1.0 - float(w.sum()))
    return TargetPortfolio(pd.Timestamp("2025-10-24", tz="UTC"), w)


def broker_for(sim: SimServer, **kw: Any) -> CcxtBroker:
    """The real ccxt binance client pointed at ``sim`` (fast retries)."""
    kw.setdefault("backoff_s", 0.01)
    kw.setdefault("max_backoff_s", 0.5)
    kw.setdefault("rate_limit", False)  # loopback: skip ccxt's client-side throttle
    return CcxtBroker("binance", credentials=Credentials(sim.api_key, sim.api_secret),
                      urls={"api": sim.ccxt_urls()}, options={"fetchMarkets": {"types": ["spot"]}}, **kw)


def post_orders(sim: SimServer) -> list[dict[str, Any]]:
    """POST /order requests the simulator saw."""
    return [r for r in sim.control("requests") if r["method"] == "POST" and r["path"] == "order"]


def assert_no_duplicates(sim: SimServer) -> None:
    """Every order on the exchange has a distinct client id (a retry never doubled one)."""
    cids = [o.client_order_id for o in sim.engine.orders.values()]
    assert len(cids) == len(set(cids)), cids
