"""Named evaluation eras: a date window plus a point-in-time candidate rule, applied to the reference data.

An era never invents data: :func:`era_data` cuts the full reference history
to the era's window and to the assets that were candidates at some day of it,
and returns plain-language notes on what is thin or missing.

Candidates (:func:`era_membership`): on each day, the members of the latest
index snapshot known that day (``known_from <= day``, see
:mod:`indexer.data.sources.cmc_membership`), whether or not the coin survived; a member
counts in a cross-section only while it has a daily price and a signal value.
Each era names its rule (:data:`MEMBERSHIP_RULES`):

* ``cmc_monthly_top200`` (2020-01..2025-10 snapshots) for the news, market and
  hold-out eras;
* ``cmc_weekly_top10>cmc_monthly_top200`` for the eras from 2017 (whole
  history, design): the weekly top 10 until the first monthly top-200 snapshot
  is known (2020-01-02), the top 200 from then on;
* ``coinmetrics`` for the on-chain era: the top 10 is too narrow for an
  on-chain cross-section, so the candidates are the assets with Coin Metrics
  on-chain metrics in the era (a list fixed by the community archive in 2020,
  so itself survivor-selected; stated in the notes).

Data without membership tables fall back to the reference universe (the
coins that survived), and the notes say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexer.exceptions import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["Era", "ERAS", "ONCHAIN_METRICS", "MEMBERSHIP_RULES", "get_era", "era_data", "era_membership", "membership_mask", "membership_note"]

#: Coin Metrics metric names the on-chain signals read.
ONCHAIN_METRICS = ("AdrActCnt", "TxCnt", "FeeTotUSD", "TxTfrValAdjUSD")


#: Weekly top 10 until the first monthly top-200 snapshot is known, the monthly top 200 from then on.
CHAINED = "cmc_weekly_top10>cmc_monthly_top200"
#: Candidate rules an era may use (see the module docstring).
MEMBERSHIP_RULES = ("cmc_monthly_top200", "cmc_weekly_top10", CHAINED, "coinmetrics")


@dataclass(frozen=True)
class Era:
    """A named window (UTC days, inclusive) and which assets it evaluates."""

    name: str
    start: str
    end: str | None
    description: str
    onchain_assets_only: bool = False
    membership: str = "cmc_monthly_top200"

    @property
    def label(self) -> str:
        """Name and span, e.g. ``bull-2021 (2020-10..2021-11)``."""
        return f"{self.name} ({self.start[:7]}..{self.end[:7] if self.end else 'latest'})"


ERAS: dict[str, Era] = {
    e.name: e
    for e in (
        Era("onchain", "2018-01-01", "2020-07-31", "Coin Metrics on-chain era: assets with on-chain metrics only", True,
            "coinmetrics"),
        Era("news", "2021-01-01", "2023-05-31", "dated news era (Reuters BTC, crypto news, price-momentum set)"),
        Era("market", "2020-01-01", "2025-12-31", "market era: daily prices and market caps of the reference universe"),
        Era("all", "2017-01-01", None, "whole history 2017..latest", membership=CHAINED),
        Era("design", "2017-01-01", "2022-12-31", "the flagship's design period (what a re-design may look at)",
            membership=CHAINED),
        Era("holdout", "2023-01-01", None, "the flagship's untouched hold-out period"),
    )
}


def get_era(name: str) -> Era:
    """Return the era called ``name``; :class:`ConfigError` listing the known eras otherwise."""
    try:
        return ERAS[name.strip().lower()]
    except KeyError:
        raise ConfigError(f"unknown era {name!r}; expected one of {', '.join(ERAS)}") from None


def _onchain_assets(data: MarketData) -> list[str]:
    have: set[str] = set()
    for m in ONCHAIN_METRICS:
        panel = data.metrics.get(m)
        if panel is not None:
            have |= set(panel.columns[panel.notna().any()])
    return sorted(have & set(data.symbols))


def membership_mask(table: pd.DataFrame, index: pd.DatetimeIndex, columns: Sequence[str]) -> pd.DataFrame:
    """Days x assets: True where the asset is in the latest snapshot of ``table`` known that day.

    A snapshot is known from its ``known_from`` day on; before the first one nothing is a member.
    """
    if table.empty:
        return pd.DataFrame(False, index=index, columns=list(columns))
    snaps = table.assign(_m=True).pivot_table(index="known_from", columns="asset", values="_m", aggfunc="any", fill_value=False)
    snaps = snaps.astype(bool).sort_index()
    pos = snaps.index.searchsorted(index, side="right") - 1  # latest snapshot with known_from <= day
    vals = snaps.reindex(columns=list(columns), fill_value=False).to_numpy()
    out = np.zeros((len(index), len(columns)), dtype=bool)
    ok = pos >= 0
    out[ok] = vals[pos[ok]]
    return pd.DataFrame(out, index=index, columns=list(columns))


def era_membership(full: MarketData, era: Era, index: pd.DatetimeIndex, columns: Sequence[str]) -> tuple[pd.DataFrame | None, str]:
    """Point-in-time candidate mask (days x ``columns``) of ``era`` and a one-line statement of the rule used.

    ``None`` (no restriction) when the data carry no membership table for the era's rule.
    """
    tables = getattr(full, "membership", None) or {}
    rule = era.membership
    if rule == "coinmetrics":
        oc = _onchain_assets(full.between(index[0], index[-1]) if len(index) else full)
        mask = pd.DataFrame(np.broadcast_to(np.isin(list(columns), oc), (len(index), len(columns))).copy(),
                            index=index, columns=list(columns))
        return mask, (
            f"candidates: the {len(oc)} reference assets with Coin Metrics on-chain metrics in the era (the weekly top 10 is "
            "too narrow for an on-chain cross-section; the Coin Metrics community list was fixed in 2020, so it is itself "
            "survivor-selected)"
        )
    parts = rule.split(">")
    if any(p not in tables for p in parts):
        return None, (
            "candidates: the reference universe (coins that survived to the data's end; the data carry no "
            f"{rule} membership table) - survivorship bias, so ICs of 'buy what rose' signals may be flattered"
        )
    mask = membership_mask(tables[parts[0]], index, columns)
    if len(parts) == 2:
        later = tables[parts[1]]
        switch = later["known_from"].min()
        after = index >= switch
        mask.loc[after] = membership_mask(later, index[after], columns).to_numpy()
        text = (f"candidates: point-in-time members of {parts[0]} until {switch.date()}, then of {parts[1]} "
                "(latest snapshot known each day; dead coins count while members and priced)")
    else:
        text = f"candidates: point-in-time members of {rule} (latest snapshot known each day; dead coins count while members and priced)"
    return mask, text


def _unpriced_members(full: MarketData, era: Era, start: pd.Timestamp, end: pd.Timestamp) -> tuple[int, int, list[str]]:
    """Median members per snapshot, median of them with a daily price in the era, and the members never priced here."""
    tables = getattr(full, "membership", None) or {}
    if era.membership not in MEMBERSHIP_RULES or era.membership == "coinmetrics":
        return 0, 0, []
    rows = []
    for name in era.membership.split(">"):
        t = tables.get(name)
        if t is not None:
            rows.append(t[(t["known_from"] >= start - pd.Timedelta(days=40)) & (t["known_from"] <= end)])
    if not rows:
        return 0, 0, []
    t = pd.concat(rows)
    t = t[(t["known_from"] <= end)]
    stables = set(full.assets.stablecoins()) if hasattr(full.assets, "stablecoins") else set()
    t = t[~t["asset"].isin(stables)]
    close = full.close.loc[start:end]
    priced = set(close.columns[close.notna().any()])
    per = t.groupby("snapshot")["asset"].agg(lambda a: (len(a), sum(x in priced for x in a)))
    if per.empty:
        return 0, 0, []
    n = int(np.median([v[0] for v in per])), int(np.median([v[1] for v in per]))
    never = t.loc[~t["asset"].isin(priced)].groupby("asset")["rank"].min().sort_values()
    return n[0], n[1], list(never.index)


def membership_note(data: MarketData) -> str:
    """Which membership tables the data carry (the per-era rule is stated in each era's notes)."""
    tables = getattr(data, "membership", None) or {}
    if tables:
        spans = ", ".join(
            f"{k} ({t['snapshot'].min():%Y-%m}..{t['snapshot'].max():%Y-%m}, {t['snapshot'].nunique()} snapshots)"
            for k, t in tables.items() if len(t)
        )
        return ("membership: point-in-time index snapshots " + spans + "; each era's cross-section holds, per day, the "
                "members of the latest snapshot known that day that have a daily price (rule per era in its notes)")
    return (
        "membership: the current reference universe (coins that survived to the data's end; no point-in-time "
        "membership in this data) - survivorship bias, so ICs of 'buy what rose' signals may be flattered"
    )


def era_data(full: MarketData, era: Era, *, exclude: set[str] | frozenset[str] = frozenset()) -> tuple[MarketData, list[str]]:
    """``full`` cut to ``era`` and to the assets that were candidates on some day of it, minus ``exclude``; plus notes.

    Raises :class:`ConfigError` when the data has no bar inside the era.
    """
    start = pd.Timestamp(era.start, tz="UTC")
    end = pd.Timestamp(era.end, tz="UTC") if era.end else full.end
    if full.end < start or full.start > end:
        raise ConfigError(
            f"era {era.label}: the reference data covers {full.start.date()}..{full.end.date()}, nothing inside the era"
        )
    data = full.between(max(start, full.start), min(end, full.end))
    notes = []
    assets = [a for a in data.symbols if a not in exclude and data.close[a].notna().any()]
    if era.onchain_assets_only:
        oc = _onchain_assets(data)
        notes.append(
            f"{len(oc)} asset(s) with on-chain metrics ({', '.join(ONCHAIN_METRICS)}) in {data.start.date()}..{data.end.date()}: "
            f"{', '.join(oc) or 'none'}" + ("" if len(oc) >= 5 else " - too few for a cross-sectional on-chain IC")
        )
    mask, statement = era_membership(full, era, data.close.index, data.symbols)
    if era.onchain_assets_only and mask is not None and int(mask.any().sum()) < 5:
        mask, statement = None, statement + "; too few, so every priced reference asset is a candidate"
    notes.append(statement)
    if mask is not None:
        assets = [a for a in assets if mask[a].any()]
        n_mem, n_priced, never = _unpriced_members(full, era, data.start, data.end)
        if n_mem:
            notes.append(
                f"{n_priced} of {n_mem} non-stablecoin members per snapshot (median) have daily prices here; "
                f"{len(never)} members never priced in the era cannot count"
                + (f" (best-ranked: {', '.join(never[:8])})" if never else "")
            )
    if data.start > start:
        notes.append(f"prices start {data.start.date()}, after the era's start {start.date()}")
    data = data.select(assets)
    per_day = data.close.notna().sum(axis=1)
    if mask is not None:
        per_day = (data.close.notna() & mask[assets]).sum(axis=1)
    notes.append(
        f"{len(assets)} assets, {int(per_day.median())} candidates with a price on the median day "
        f"({data.start.date()}..{data.end.date()})"
    )
    return data, notes
