"""Coverage of a :class:`MarketData` per source, field and asset (for ``indexer data info``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["coverage", "coverage_by_source"]

_COLUMNS = ["source", "field", "asset", "first", "last", "days", "share"]


def _sources(data: MarketData, field: str, asset: str) -> list[str]:
    prov = data.provenance
    if field == "close":
        days = ((prov.get("assets") or {}).get(asset) or {}).get("close", {}) or {}
        return list((days.get("days") or {}).keys()) or [str(prov.get("exchange") or prov.get("format") or "unknown")]
    if field == "volume":
        return [s for s in _sources(data, "close", asset) if s != "coinmetrics"]
    if field == "market_cap":
        mc = ((prov.get("assets") or {}).get(asset) or {}).get("market_cap") or {}
        names = {"daily_calculated": "coinbase_cmc daily caps", "cmc_supply_estimate": "cmc snapshot supply x close", "coinmetrics_CapMrktCurUSD": "coinmetrics"}
        return [names.get(k, k) for k, n in mc.items() if k in names and n] or ["unknown"]
    return list(((prov.get("metric_sources") or {}).get(field) or {}).get(asset) or ["unknown"])


def coverage(data: MarketData) -> pd.DataFrame:
    """One row per (field, asset) holding any value: source(s), first/last UTC day, days present, share.

    ``share`` is the fraction of days from first to last (inclusive) with a
    value; ``source`` joins the contributing sources in precedence order with ``+``.
    """
    panels = {"close": data.close, "volume": data.volume, "market_cap": data.market_cap, **dict(data.metrics)}
    rows = []
    for field, panel in panels.items():
        if panel is None:
            continue
        present = panel.notna()
        for asset in panel.columns[present.any().to_numpy()]:
            col = present[asset].to_numpy()
            idx = panel.index[col]
            first, last = idx[0], idx[-1]
            span = (last - first).days + 1
            rows.append(
                {
                    "source": "+".join(_sources(data, field, asset)),
                    "field": field,
                    "asset": asset,
                    "first": first.date(),
                    "last": last.date(),
                    "days": int(col.sum()),
                    "share": round(int(col.sum()) / span, 4),
                }
            )
    return pd.DataFrame(rows, columns=_COLUMNS)


def coverage_by_source(cov: pd.DataFrame) -> pd.DataFrame:
    """Per (source, asset): the fields, earliest first / latest last day and mean share over fields."""
    if cov.empty:
        return pd.DataFrame(columns=["source", "asset", "fields", "first", "last", "share"])
    g = cov.groupby(["source", "asset"], sort=True)
    return pd.DataFrame(
        {
            "fields": g["field"].agg(lambda f: ", ".join(f)),
            "first": g["first"].min(),
            "last": g["last"].max(),
            "share": g["share"].mean().round(4),
        }
    ).reset_index()
