"""The pre-2020 and on-chain part of the reference build: Coin Metrics, Etherscan, social sentiment.

Rules (stated in provenance and docs/data.md):

* **Prices, one source per asset-day.** Precedence: (1) the primary of
  Coinbase / Yahoo-style files (more bars since 2020-01-01), (2) the other of
  those two before/after the primary's range, (3) Coin Metrics ``PriceUSD``
  only on days *before* the first bar of (1)+(2), from :data:`CM_PRICE_FROM`
  on, when the join leaves no gap longer than ``max_gap`` days.  Coin Metrics
  has no volume: those days have a close and NaN volume.
* **Market caps.** daily_calculated_market_cap_clean > CoinMarketCap snapshot
  supply x close > close x Coin Metrics supply (``CapMrktCurUSD / PriceUSD``
  of the same day; only where the first two give none); NaN where the close is NaN.
* **On-chain metrics** keep Coin Metrics names.  Per asset-day: Coin Metrics
  (community > 2020-2026 snapshot > DeFi-token file) > blockchain.com (BTC,
  every ~3 days) > Etherscan (ETH, only after Coin Metrics' last ETH day,
  2020-07-27; ``AdrActCnt`` rescaled by the 2020 overlap's median ratio).
* **Social sentiment** (BTC, 2014-11-28..2021-05-09) becomes metrics named in
  :data:`indexer.data.sources.social_sentiment.SOCIAL_METRICS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from indexer.data.sources.coinmetrics_archive import COINMETRICS_FIELDS, combine_coinmetrics, read_coinmetrics_sources
from indexer.data.sources.etherscan import read_etherscan_dir
from indexer.data.sources.social_sentiment import read_social_sentiment

__all__ = ["CM_PRICE_FROM", "CoinMetricsHistory", "load_coinmetrics", "extend_prices", "fill_market_cap", "onchain_metrics"]

#: First day Coin Metrics prices may fill (one year of warm-up before the 2017-01-01 reference start).
CM_PRICE_FROM = pd.Timestamp("2016-01-01", tz="UTC")
#: Metrics not placed in ``MarketData.metrics`` (prices go to ``close``).
_NOT_METRICS = ("PriceUSD",)


class CoinMetricsHistory:
    """Combined Coin Metrics frames per asset (``frames``) and their provenance (``prov``)."""

    def __init__(self, frames: dict[str, pd.DataFrame], prov: dict[str, Any]) -> None:
        self.frames, self.prov = frames, prov

    def field(self, name: str) -> dict[str, pd.Series]:
        """``{asset: Series}`` of one field (assets lacking it are left out)."""
        return {a: f[name] for a, f in self.frames.items() if name in f.columns and f[name].notna().any()}


def load_coinmetrics(src: Path) -> CoinMetricsHistory:
    """Read and combine every Coin Metrics file under ``src`` (empty when there is none)."""
    frames, prov = {}, {}
    for asset, files in read_coinmetrics_sources(src).items():
        frames[asset], prov[asset] = combine_coinmetrics(files)
    return CoinMetricsHistory(frames, prov)


def extend_prices(
    close: pd.DataFrame, volume: pd.DataFrame, cm_price: dict[str, pd.Series], *, max_gap: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[str, int]]:
    """Fill days before each asset's first bar with Coin Metrics ``PriceUSD`` (rule 3 of the module docstring).

    Returns the new close and volume (volume NaN on those days), a note per
    asset (what was used, or why not) and the days filled per asset.
    """
    close, volume = close.copy(), volume.copy()
    notes: dict[str, str] = {}
    used: dict[str, int] = {}
    for asset, price in cm_price.items():
        if asset not in close.columns:
            notes[asset] = "no daily price file for this asset: Coin Metrics prices alone are not used"
            continue
        first = close[asset].first_valid_index()
        cand = price.loc[CM_PRICE_FROM:].dropna()
        cand = cand[cand.index < first] if first is not None else cand
        if cand.empty:
            notes[asset] = "not needed (daily price files start earlier than Coin Metrics adds anything)"
            continue
        gap = (first - cand.index[-1]).days - 1
        if gap > max_gap:
            notes[asset] = f"not used: gap of {gap} days between Coin Metrics ({cand.index[-1].date()}) and the first bar {first.date()}"
            continue
        cand = cand.reindex(close.index).dropna()
        close.loc[cand.index, asset] = cand
        notes[asset] = f"Coin Metrics PriceUSD {cand.index[0].date()}..{cand.index[-1].date()} ({len(cand)} days, no volume)"
        used[asset] = len(cand)
    return close, volume, notes, used


def fill_market_cap(
    market_cap: pd.DataFrame, close: pd.DataFrame, cm_cap: dict[str, pd.Series], cm_price: dict[str, pd.Series]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Fill NaN market caps with ``close x (CapMrktCurUSD / PriceUSD)`` of Coin Metrics (same-day supply).

    Using Coin Metrics' implied supply times the reference close keeps market
    cap and close consistent where the close comes from another file.
    Returns the panel and the days filled per asset.
    """
    out = market_cap.copy()
    filled: dict[str, int] = {}
    for asset, cap in cm_cap.items():
        if asset not in out.columns or asset not in cm_price:
            continue
        c = (cap / cm_price[asset]).reindex(out.index) * close[asset]
        take = out[asset].isna() & c.notna() & close[asset].notna()
        if take.any():
            out.loc[take, asset] = c[take]
            filled[asset] = int(take.sum())
    return out, filled


def _ratio(a: pd.Series, b: pd.Series) -> float:
    both = a.notna() & b.notna() & (a > 0) & (b > 0)
    return float((a[both] / b[both]).median()) if both.sum() >= 30 else float("nan")


def onchain_metrics(
    src: Path, cm: CoinMetricsHistory, base: dict[str, pd.DataFrame]
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """All on-chain metric frames (wide, UTC day x asset) with the precedence of the module docstring.

    ``base`` holds lower-precedence frames already read (blockchain.com).
    Returns the frames and notes for provenance.
    """
    notes: dict[str, Any] = {}
    out = dict(base)
    sources: dict[str, dict[str, list[str]]] = {n: {a: ["blockchain.com"] for a in f.columns} for n, f in base.items()}

    def mark(name: str, assets: Any, label: str) -> None:
        for a in assets:
            lst = sources.setdefault(name, {}).setdefault(str(a), [])
            if label not in lst:
                lst.insert(0, label) if label == "coinmetrics" else lst.append(label)
    for name in COINMETRICS_FIELDS:
        if name in _NOT_METRICS:
            continue
        per_asset = cm.field(name)
        if not per_asset:
            continue
        frame = pd.DataFrame(per_asset)
        out[name] = frame.combine_first(out[name]) if name in out else frame
        mark(name, frame.columns, "coinmetrics")
    if cm.frames:
        notes["coinmetrics"] = {a: p for a, p in cm.prov.items()}
    eth_dir = src / "onchain_eth_etherscan"
    if eth_dir.is_dir():
        es, es_notes = read_etherscan_dir(eth_dir)
        cm_eth = cm.frames.get("ETH")
        cut = cm_eth.index[-1] if cm_eth is not None else None
        scale: dict[str, float] = {}
        for name, s in es.items():
            s = s.loc[s.index > cut] if cut is not None else s
            if name == "AdrActCnt" and cm_eth is not None and name in cm_eth:
                full = es[name]
                r = _ratio(full.loc[cm_eth.index[0]:cut], cm_eth[name])
                if np.isfinite(r) and r > 0:
                    s = s / r
                    scale[name] = round(r, 4)
            col = s.rename("ETH").to_frame()
            out[name] = out[name].combine_first(col) if name in out else col
            mark(name, ["ETH"], "etherscan")
        notes["etherscan"] = {
            **es_notes,
            "used_after": str(cut.date()) if cut is not None else "all days",
            "adractcnt_overlap_ratio_etherscan_over_coinmetrics": scale.get("AdrActCnt"),
        }
    social = src / "sentiment_btc_social_2014_2021" / "final_dataset.csv"
    if social.exists():
        for name, s in read_social_sentiment(social).items():
            out[name] = s.to_frame()
            mark(name, [s.name], "btc_social_sentiment")
        notes["social_sentiment"] = f"{social}: BTC daily social sentiment metrics 2014-11-28..2021-05-09 (missing days stay NaN)"
    notes["sources"] = sources
    return out, notes
