"""Real-account scenarios shared by the CLI (``indexer rebalance --live``) and bot (``indexer bot once``) tests.

A simulator priced at the reference data's last closes, with CRO unlisted (as on Binance spot), a
clock 3 s behind the client (-1021 until synced), -1001 bodies on two order posts, prices rising
2 bps after every order, and a resting order of ours left by an earlier, interrupted run.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
STRATEGIES = {n: REPO / "strategies" / f"{n}.yaml" for n in ("top10_capped", "ai_index")}
OUTSIDE = ("DOGE", "XRP", "ADA")  # held coins no strategy wants
STALE_OURS = "ix-00000000abcd-3-0"  # an order of an earlier run, still resting


def start_balances(kind: str, usd: dict[str, float], base: pd.Series) -> dict[str, float]:
    """10,000 USDT of value: all cash, drifted (+-30 % per asset) or far-drifted with outside coins."""
    w = base[base > 0].drop("CASH", errors="ignore")
    if kind == "cash":
        return {"USDT": 10_000.0}
    if kind == "drifted":
        f = [(1.3 if i % 2 else 0.7) for i in range(len(w))]
        out = {a: 9_500 * float(x) * f[i] / usd[a] for i, (a, x) in enumerate(w.items()) if a in usd}
        out["USDT"] = 10_000 - sum(q * usd[a] for a, q in out.items())
        return out
    out = {a: 2 * 6_000 * float(x) / usd[a] for i, (a, x) in enumerate(w.items()) if i % 2 == 0 and a in usd}
    out.update({a: 1_000 / usd[a] for a in OUTSIDE})
    out["USDT"] = max(10_000 - sum(q * usd[a] for a, q in out.items()), 200.0)
    return out


def make_sim(usd: dict[str, float], balances: dict[str, float], **kw: Any) -> Any:
    """The scenario simulator (see module docstring), started, with our stale resting order on it."""
    from indexer.sim import SimServer

    kw.setdefault("missing", ["CRO"])
    kw.setdefault("clock_skew_ms", -3000)
    kw.setdefault("drift_bps_per_order", 2.0)
    sim = SimServer(usd, balances, **kw).start()
    mid = sim.engine.mids["BTCUSDT"]
    sim.engine.rest("BTCUSDT", "BUY", Decimal("0.002"), (mid / 2).quantize(Decimal("0.01")), STALE_OURS)
    sim.control("faults", [{"kind": "1001", "target": "POST order", "times": 2}])
    return sim


def account_weights(sim: Any, exclude_locked_by_others: bool = False) -> tuple[dict[str, float], float]:
    """Weights (quote as CASH, fractions) and value of the simulator account from its own books."""
    eng = sim.engine
    px = {s[:-4]: float(m) for s, m in eng.mids.items() if s.endswith("USDT")}
    locked_others = sum(float(o.locked) for o in eng.orders.values()
                        if o.status in ("NEW", "PARTIALLY_FILLED") and not o.client_order_id.startswith("ix-")
                        and o.side == "BUY")
    vals: dict[str, float] = {}
    for a, q in eng.balances.items():
        if a == "USDT":
            vals["CASH"] = float(q) - (locked_others if exclude_locked_by_others else 0.0)
        elif a in px:
            vals[a] = float(q) * px[a]
    total = sum(vals.values())
    return {a: v / total for a, v in vals.items() if v}, total


def tracking_error(weights: dict[str, float], target: dict[str, float]) -> float:
    """``0.5 * sum |w - target|`` over every line incl. CASH (fraction of value)."""
    return 0.5 * sum(abs(weights.get(a, 0.0) - target.get(a, 0.0)) for a in set(weights) | set(target))


def client_ids_accepted_once(sim: Any) -> bool:
    """No client id was accepted twice by the exchange."""
    cids = [o.client_order_id for o in sim.engine.orders.values()]
    return len(cids) == len(set(cids))


def scenario_prices(reference: Any) -> dict[str, float]:
    """USD last closes of the reference data: the simulator's prices in every scenario."""
    from indexer.execution.market_info import last_prices

    return last_prices(reference)


def scenario_base(reference: Any) -> pd.Series:
    """top10_capped's target at the last bar: the book the drifted scenarios start from."""
    from indexer.strategy import Strategy

    return Strategy.from_yaml(STRATEGIES["top10_capped"]).target(reference, reference.close.index[-1]).weights
