"""Per-era signal evidence: IC with HAC confidence intervals, decay, quintile spreads, time-series tests.

For each era (:mod:`indexer.research.eras`) and each signal of
:data:`CROSS_SECTIONAL`:

* daily cross-sectional Spearman IC against 7- and 30-day forward returns,
  forward windows kept inside the era; its mean with a Newey-West t-statistic,
  two-sided p-value and 95 % confidence interval (:mod:`indexer.research.stats`);
* IC decay (mean IC at 1, 7, 30, 90 days);
* top-minus-bottom quintile 30-day forward return (fraction) with its NW t, and
  the quintile portfolios' turnover (share of the top and bottom names replaced
  at each 30-day rebalance);

and for market-wide inputs (:data:`MARKET_WIDE`: Fear & Greed, BTC social
sentiment when the data has it) the time-series Spearman IC against BTC's and
the equal-weighted market's forward returns on non-overlapping dates; a signal
with no cross-section in the era but 60+ days of BTC values (on-chain metrics
that exist for BTC only) gets the same BTC time-series test.

Every p-value of the run is one test of the family: Holm and Bonferroni
adjusted p-values are computed over all of them (:func:`adjust_family`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexer.research.eras import Era, era_data, era_membership
from indexer.research.stats import bonferroni, holm, newey_west_mean
from indexer.signals import get as get_signal
from indexer.signals.evaluate import ic_series, quantile_spread, ts_ic

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["CROSS_SECTIONAL", "MARKET_WIDE", "SOCIAL_SENTIMENT_METRICS", "EraEvidence", "signal_panels_full", "era_evidence", "adjust_family", "quintile_turnover"]

#: (label, registered signal name, params) evaluated across assets.
CROSS_SECTIONAL: list[tuple[str, str, dict]] = [
    ("mom_30d", "momentum", {"horizon": 30}),
    ("mom_90d", "momentum", {"horizon": 90, "skip": 7}),
    ("vol_adj_mom_90d", "vol_adjusted_momentum", {"horizon": 90}),
    ("trend_tstat_60d", "trend_tstat", {"window": 60}),
    ("ma_slope", "ma_slope", {}),
    ("amihud", "amihud", {}),
    ("volume", "volume", {}),
    ("news_sentiment", "news_sentiment", {}),
    ("news_volume", "news_volume", {}),
    ("nvt", "nvt", {}),
    ("active_address_growth", "active_address_growth", {}),
    ("tx_count_growth", "tx_count_growth", {}),
    ("fee_revenue", "fee_revenue", {}),
]

HORIZONS = (7, 30)
#: A time-series test needs at least this many non-overlapping dates (else it is skipped and the notes say so).
MIN_TS_OBS = 20
DECAY = (1, 7, 30, 90)


def _fear_greed(data: MarketData) -> pd.Series | None:
    idx = data.sentiment.index
    if idx is None or len(idx) == 0:
        return None
    from indexer.signals.market_regime import fear_greed

    return fear_greed(data)


#: BTC social sentiment metrics (``indexer.data.sources.social_sentiment``): Stocktwits, Reddit posts, Reddit comments.
SOCIAL_SENTIMENT_METRICS = ("SocialSentStocktwits", "SocialSentRedditPosts", "SocialSentRedditComments")


def _btc_social(data: MarketData) -> pd.Series | None:
    """BTC social sentiment: mean of the :data:`SOCIAL_SENTIMENT_METRICS` present, each as an expanding z-score.

    The expanding mean and standard deviation (from 90 observations on) use only days up to each day, so the
    composite has no look-ahead; counts and search volumes (``SocialStocktwitsCnt`` ...) are not sentiment and
    are not used.
    """
    parts = []
    for name in SOCIAL_SENTIMENT_METRICS:
        panel = data.metrics.get(name)
        if panel is None or "BTC" not in panel.columns:
            continue
        x = panel["BTC"].reindex(data.close.index)
        mu, sd = x.expanding(90).mean(), x.expanding(90).std()
        parts.append((x - mu) / sd.where(sd > 0))
    if not parts:
        return None
    s = pd.concat(parts, axis=1).mean(axis=1, skipna=True)
    return s if s.notna().any() else None


#: Market-wide inputs: label -> function of the data giving a daily series (None when the data lack it).
MARKET_WIDE: dict[str, Callable[[MarketData], pd.Series | None]] = {
    "fear_greed": _fear_greed,
    "btc_social_sentiment": _btc_social,
}


@dataclass
class EraEvidence:
    """Tables of one era (see module docstring); ``ic`` rows are tests, ``p`` unadjusted."""

    era: Era
    notes: list[str]
    ic: pd.DataFrame
    decay: pd.DataFrame
    quintiles: pd.DataFrame
    timeseries: pd.DataFrame
    daily_ic: dict[str, pd.Series] = field(default_factory=dict)
    membership: str = ""
    candidates: dict[str, float] = field(default_factory=dict)


def signal_panels_full(data: MarketData, signals: Sequence[tuple[str, str, dict]] = CROSS_SECTIONAL) -> dict[str, pd.DataFrame]:
    """Raw panel of every signal, computed once on the whole history (point-in-time by construction)."""
    return {label: get_signal(name, **params)(data) for label, name, params in signals}


def quintile_turnover(signal: pd.DataFrame, step: int = 30, *, quantiles: int = 5, min_assets: int = 5) -> float:
    """Mean share of top- and bottom-quantile names replaced between rebalances ``step`` days apart (fraction)."""
    sig = signal.iloc[::step]
    n = sig.notna().sum(axis=1)
    pct = sig.rank(axis=1, pct=True)
    top, bot = pct > 1.0 - 1.0 / quantiles, pct <= 1.0 / quantiles
    vals = []
    for side in (top, bot):
        prev = side.shift(1, fill_value=False).astype(bool)
        held = side.sum(axis=1)
        kept = (side & prev).sum(axis=1)
        ok = (n >= min_assets) & (n.shift(1) >= min_assets) & (held > 0)
        vals.append((1.0 - kept / held.where(held > 0))[ok])
    both = pd.concat(vals)
    return float(both.mean()) if len(both) else np.nan


def _period(s: pd.Series) -> str:
    v = s.dropna()
    return f"{v.index.min():%Y-%m}..{v.index.max():%Y-%m}" if len(v) else ""


def era_evidence(
    full: MarketData,
    era: Era,
    panels: dict[str, pd.DataFrame],
    *,
    exclude: set[str] | frozenset[str] = frozenset(),
    min_assets: int = 5,
) -> EraEvidence:
    """Evidence tables of ``panels`` (whole-history signal panels) inside ``era``.

    Forward returns use prices inside the era only, so nothing after the era's end is read.
    """
    data, notes = era_data(full, era, exclude=exclude)
    close = data.close
    member, statement = era_membership(full, era, close.index, close.columns)
    priced = close.notna() if member is None else close.notna() & member
    per_day = priced.sum(axis=1)
    rows, decay, quint, daily = {}, {}, {}, {}
    for label, panel in panels.items():
        p = panel.reindex(index=close.index, columns=close.columns)
        if member is not None:  # point-in-time candidates only: a coin counts on the days it was a member
            p = p.where(member)
        n_assets = p.notna().sum(axis=1)
        for h in HORIZONS:
            ic = ic_series(p, close, h, min_assets=min_assets)
            r = newey_west_mean(ic, h)
            rows[(label, h)] = {
                "IC": r["mean"], "t_NW": r["t"], "ci_lo": r["lo"], "ci_hi": r["hi"], "p": r["p"],
                "days": int(ic.notna().sum()), "assets": float(n_assets[ic.notna()].median()) if ic.notna().any() else 0.0,
                "period": _period(ic),
            }
            daily[f"{label}|{h}d"] = ic
        decay[label] = {f"IC{h}d": ic_series(p, close, h, min_assets=min_assets).mean() for h in DECAY}
        spread = quantile_spread(p, close, 30, quantiles=5, min_assets=min_assets)
        nw = newey_west_mean(spread, 30)
        quint[label] = {
            "Q5-Q1_30d": nw["mean"], "t_NW": nw["t"], "ci_lo": nw["lo"], "ci_hi": nw["hi"],
            "turnover": quintile_turnover(p, 30, min_assets=min_assets), "days": int(spread.notna().sum()),
        }
        if not ic.notna().any():
            have = int((n_assets > 0).sum())
            notes.append(
                f"{label}: no day with {min_assets}+ assets having values"
                + (f" ({have} days with 1-{min_assets - 1} assets)" if have else " (no data in this era)")
            )
    ic_table = pd.DataFrame.from_dict(rows, orient="index")
    ic_table.index = pd.MultiIndex.from_tuples(ic_table.index, names=["signal", "h"])
    ts_rows = {}
    rets = close.pct_change(fill_method=None)
    if member is not None:  # the equal-weighted market of the day's candidates
        rets = rets.where(member.shift(1, fill_value=False))
    market = rets.mean(axis=1).fillna(0.0).add(1.0).cumprod()
    targets = {"BTC": close["BTC"] if "BTC" in close.columns else None, "market_ew": market}
    for label, fn in MARKET_WIDE.items():
        s = fn(full)  # whole history up to each day (expanding scales see no future); cut to the era below
        s = None if s is None else s.reindex(close.index)
        if s is None or not s.notna().any():
            notes.append(f"{label}: no data in this era (time-series test skipped)")
            continue
        for tname, tclose in targets.items():
            if tclose is None:
                continue
            for h in HORIZONS:
                r = ts_ic(s, tclose, h)
                if r["n"] < MIN_TS_OBS:
                    notes.append(f"{label}->{tname} {h}d: {r['n']} non-overlapping dates in this era (< {MIN_TS_OBS}), not tested")
                    continue
                ts_rows[(label, tname, h)] = {"tsIC": r["ic"], "p": r["p_value"], "n": r["n"], "period": _period(s)}
    if "BTC" in close.columns:  # signals without a cross-section here (e.g. on-chain: BTC only): BTC time-series test
        for label, panel in panels.items():
            if ic_table.loc[label, "days"].max() == 0 and label in panels and "BTC" in panel.columns:
                s = panel["BTC"].reindex(close.index)
                if s.notna().sum() >= 60:
                    for h in HORIZONS:
                        r = ts_ic(s, close["BTC"], h)
                        if r["n"] < MIN_TS_OBS:
                            continue
                        ts_rows[(label, "BTC", h)] = {"tsIC": r["ic"], "p": r["p_value"], "n": r["n"], "period": _period(s)}
    ts = pd.DataFrame.from_dict(ts_rows, orient="index")
    if len(ts):
        ts.index = pd.MultiIndex.from_tuples(ts.index, names=["input", "target", "h"])
    return EraEvidence(
        era=era, notes=notes, ic=ic_table,
        decay=pd.DataFrame.from_dict(decay, orient="index").rename_axis("signal"),
        quintiles=pd.DataFrame.from_dict(quint, orient="index").rename_axis("signal"),
        timeseries=ts, daily_ic=daily, membership=statement,
        candidates={"assets": len(close.columns), "median": float(per_day.median()), "min": float(per_day.min()),
                    "max": float(per_day.max())},
    )


def adjust_family(results: Sequence[EraEvidence]) -> tuple[pd.DataFrame, dict[str, int]]:
    """All tests of ``results`` (cross-sectional IC rows and time-series rows) with Holm and Bonferroni p-values.

    Returns
    -------
    table : one row per test: era, kind (``xs`` / ``ts``), name, h, estimate, p, p_holm, p_bonferroni.
    exposure : ``{"signals": .., "eras": .., "horizons": .., "tests": .. (with a p-value), "tried": ..}``.
    """
    recs = []
    for ev in results:
        for (sig, h), r in ev.ic.iterrows():
            recs.append({"era": ev.era.name, "kind": "xs", "name": sig, "h": h, "estimate": r["IC"], "p": r["p"]})
        for key, r in ev.timeseries.iterrows():
            inp, target, h = key
            recs.append({"era": ev.era.name, "kind": "ts", "name": f"{inp}->{target}", "h": h, "estimate": r["tsIC"], "p": r["p"]})
    table = pd.DataFrame(recs, columns=["era", "kind", "name", "h", "estimate", "p"])
    table["p_holm"] = holm(table["p"].to_numpy()) if len(table) else []
    table["p_bonferroni"] = bonferroni(table["p"].to_numpy()) if len(table) else []
    exposure = {
        "signals": int(table["name"].nunique()),
        "eras": len(results),
        "horizons": len(HORIZONS),
        "tried": int(len(table)),
        "tests": int(table["p"].notna().sum()),
    }
    return table, exposure
