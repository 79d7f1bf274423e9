"""What the bot did and where the account stands: recent runs, weights, P&L, open orders, events."""

from __future__ import annotations

from typing import Any

from indexer.bot.service import Bot

__all__ = ["collect_status"]


def collect_status(bot: Bot, *, limit: int = 10, query_exchange: bool = True) -> dict[str, Any]:
    """Return a JSON-friendly status of the account.

    Current weights come from the exchange (``query_exchange``) or, when it
    cannot be reached, the newest balance snapshot; target weights from the
    newest run that decided one; P&L since inception compares the current value
    with the first balance snapshot (quote units; deposits and withdrawals are
    not separated).  ``inputs``: each input's age and source now (from the data cache, no network;
    :func:`indexer.bot.live_inputs.status_inputs`).
    """
    store, account = bot.store, bot.cfg.account
    runs = store.runs_for(account, limit=limit)
    paused, reason = store.paused(account)
    target = next((r["target"] for r in runs if r.get("target")), None)
    out: dict[str, Any] = {
        "account": account, "mode": bot.cfg.mode, "paused": paused, "pause_reason": reason,
        "database": bot.store.dialect, "schema_revision": bot.store.revision,
        "runs": [{k: r[k] for k in ("id", "as_of", "status", "step", "started_at", "updated_at", "error")}
                 | {"orders": len(store.orders_of(r["id"]))} for r in runs],
        "target_weights": (target or {}).get("weights", {}),
        "open_orders": [{k: o[k] for k in ("client_order_id", "exchange_order_id", "symbol", "side", "amount",
                                           "status")} for o in store.open_orders(account)],
        "events": [{k: e[k] for k in ("at", "kind", "level", "message")} for e in store.events_for(account, 15)],
    }
    snaps = store.snapshots(account)
    current: dict[str, float] = {}
    value = None
    source = "none"
    if query_exchange:
        try:
            reb = bot.rebalancer()
            *_, current, value = reb.valuation()
            source = "exchange"
            ex_open = reb.broker().open_orders()
            out["exchange_open_orders"] = [{k: o.to_dict()[k] for k in ("id", "clientOrderId", "symbol", "side",
                                                                         "amount", "filled", "status")}
                                           for o in ex_open]
        except Exception as exc:  # noqa: BLE001 - status must still show the stored story
            out["exchange_error"] = bot.redactor.text(f"{type(exc).__name__}: {exc}")
    if value is None:
        last = store.last_snapshot(account)
        if last is not None:
            qty, px = last["quantities"], last["prices"]
            vals = {a: float(q) * float(px.get(a, 0.0)) for a, q in qty.items() if a != bot.cfg.exchange.quote}
            vals["CASH"] = float(qty.get(bot.cfg.exchange.quote, 0.0))
            value = last["value"]
            current = {a: v / value for a, v in vals.items() if value}
            source = "snapshot"
    from indexer.bot.live_inputs import status_inputs

    out["inputs"] = status_inputs(bot.cfg)
    out["current_weights"] = current
    out["current_source"] = source
    out["value"] = value
    if len(snaps) and value is not None:
        first = float(snaps["value"].iloc[0])
        out["inception"] = snaps.index[0]
        out["inception_value"] = first
        out["pnl"] = value - first
        out["pnl_fraction"] = value / first - 1.0 if first else None
        out["max_value"] = float(max(snaps["value"].max(), value))
    return out
