"""Named evaluation eras: a date window plus an asset rule, applied to whatever reference data exists.

An era never invents data: :func:`era_data` cuts the full reference history
to the era's window and (for the on-chain era) to the assets with on-chain
metrics, and returns plain-language notes on what is thin or missing (e.g.
"1 asset has on-chain data in 2018-01..2020-07: no cross-sectional IC").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from indexer.exceptions import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["Era", "ERAS", "ONCHAIN_METRICS", "get_era", "era_data", "membership_note"]

#: Coin Metrics metric names the on-chain signals read.
ONCHAIN_METRICS = ("AdrActCnt", "TxCnt", "FeeTotUSD", "TxTfrValAdjUSD")


@dataclass(frozen=True)
class Era:
    """A named window (UTC days, inclusive) and which assets it evaluates."""

    name: str
    start: str
    end: str | None
    description: str
    onchain_assets_only: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} ({self.start[:7]}..{self.end[:7] if self.end else 'latest'})"


ERAS: dict[str, Era] = {
    e.name: e
    for e in (
        Era("onchain", "2018-01-01", "2020-07-31", "Coin Metrics on-chain era: assets with on-chain metrics only", True),
        Era("news", "2021-01-01", "2023-05-31", "dated news era (Reuters BTC, crypto news, price-momentum set)"),
        Era("market", "2020-01-01", "2025-12-31", "market era: daily prices and market caps of the reference universe"),
        Era("all", "2017-01-01", None, "whole history 2017..latest"),
        Era("design", "2017-01-01", "2022-12-31", "the flagship's design period (what a re-design may look at)"),
        Era("holdout", "2023-01-01", None, "the flagship's untouched hold-out period"),
    )
}


def get_era(name: str) -> Era:
    """The era called ``name``; :class:`ConfigError` listing the known eras otherwise."""
    try:
        return ERAS[name.strip().lower()]
    except KeyError:
        raise ConfigError(f"unknown era {name!r}; expected one of {', '.join(ERAS)}") from None


def _onchain_assets(data: "MarketData") -> list[str]:
    have: set[str] = set()
    for m in ONCHAIN_METRICS:
        panel = data.metrics.get(m)
        if panel is not None:
            have |= set(panel.columns[panel.notna().any()])
    return sorted(have & set(data.symbols))


def membership_note(data: "MarketData") -> str:
    """How candidates are chosen: point-in-time membership when the data carries it, else the survivors."""
    if getattr(data, "membership", None) is not None:
        return "membership: point-in-time index snapshots (dead coins count while they were members)"
    return (
        "membership: the current reference universe (coins that survived to the data's end; no point-in-time "
        "membership in this data) - survivorship bias, so ICs of 'buy what rose' signals may be flattered"
    )


def era_data(full: "MarketData", era: Era, *, exclude: set[str] | frozenset[str] = frozenset()) -> tuple["MarketData", list[str]]:
    """``full`` cut to ``era`` (and its asset rule), minus ``exclude``; plus notes on thin coverage.

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
        assets = [a for a in assets if a in oc] if len(oc) >= 5 else assets
    if data.start > start:
        notes.append(f"prices start {data.start.date()}, after the era's start {start.date()}")
    data = data.select(assets)
    per_day = data.close.notna().sum(axis=1)
    notes.append(
        f"{len(assets)} assets, {int(per_day.median())} with a price on the median day "
        f"({data.start.date()}..{data.end.date()})"
    )
    return data, notes
