"""``select_universe``: the assets a strategy may hold at the last bar of point-in-time data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer._typing import CASH, as_float_series
from indexer.exceptions import DataError
from indexer.universe.compliance import ComplianceSpec, screen_assets
from indexer.universe.membership import membership_candidates
from indexer.universe.spec import UniverseSpec

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["UniverseResult", "select_universe", "latest_market_cap", "latest_cap_values", "median_volume"]


@dataclass(frozen=True)
class UniverseResult:
    """Selected ``assets`` (best rank first), the exclusion ``log`` and the ``ranks`` of eligible assets.

    ``rank_of`` maps each eligible asset to its rank (1 = best); :attr:`ranks` is the same as a Series,
    built when first read.  With ``spec.membership``: ``membership`` holds ``{source, snapshot, chosen
    (DataFrame of the chosen members: asset, symbol, name, rank, market_cap,
    price), missing: [{asset, symbol, name, rank, reason}]}``.
    """

    assets: list[str]
    log: list[dict[str, Any]] = field(default_factory=list)
    rank_of: dict[str, float] = field(default_factory=dict)
    membership: dict[str, Any] | None = None

    @cached_property
    def ranks(self) -> pd.Series:
        """Rank (1 = best, float) of each eligible asset, best first."""
        return pd.Series(self.rank_of, dtype="float64")


def latest_cap_values(data: MarketData, max_stale_days: int) -> np.ndarray:
    """:func:`latest_market_cap`'s values, in column order."""
    n_cols = data.close.shape[1]
    if data.market_cap is None:
        return np.full(n_cols, np.nan)
    tail = data.market_cap.to_numpy(dtype="float64")[-(max_stale_days + 1):]
    if not len(tail):
        return np.full(n_cols, np.nan)
    ok = ~np.isnan(tail)
    last = len(tail) - 1 - np.argmax(ok[::-1], axis=0)  # row of the latest value per asset
    return np.where(ok.any(axis=0), tail[last, np.arange(tail.shape[1])], np.nan)


def latest_market_cap(data: MarketData, max_stale_days: int = 35) -> pd.Series:
    """Latest known market cap (USD) per asset, NaN when older than ``max_stale_days`` bars or absent."""
    vals = latest_cap_values(data, max_stale_days)
    if data.market_cap is None:
        return pd.Series(vals, index=data.close.columns, dtype="float64")
    if not len(data.market_cap):
        return pd.Series(vals, index=data.close.columns)
    return pd.Series(vals, index=data.close.columns, name=data.close.index[-1])


def _column_medians(v: np.ndarray) -> np.ndarray:
    """Return the median of each column, ignoring NaN.

    The values of ``np.nanmedian(v, axis=0)``: the mean of the two middle values, ``(low + high) / 2``,
    or the middle one; NaN for an all-NaN column.
    """
    srt = np.sort(v, axis=0)  # NaN sort last
    k = (~np.isnan(v)).sum(axis=0)
    h = k // 2
    lo = np.where(k % 2 == 1, h, np.maximum(h - 1, 0))
    cols = np.arange(v.shape[1])
    out = (srt[lo, cols] + srt[np.minimum(h, len(v) - 1), cols]) / 2.0
    return np.where(k > 0, out, np.nan)


def _median_volume_values(data: MarketData, window: int) -> np.ndarray:
    """:func:`median_volume`'s values, in column order."""
    if data.volume is None:
        return np.full(data.close.shape[1], np.nan)
    v = data.volume.to_numpy(dtype="float64")[-window:]
    if not len(v):
        return np.full(v.shape[1], np.nan)
    return _column_medians(v)


def median_volume(data: MarketData, window: int = 30) -> pd.Series:
    """Median daily traded value (USD) over the last ``window`` bars (NaN bars ignored)."""
    return pd.Series(_median_volume_values(data, window), index=data.close.columns, dtype="float64")


def _history_counts(close: np.ndarray, need: int, symbols: list[str]) -> dict[str, int]:
    """Count the bars with a price per asset, exact where it matters.

    An asset priced on each of the last ``need`` bars has at least ``need`` (reported as ``need``); the others are counted over the whole history.
    """
    if need <= 0 or len(close) < need:
        return dict(zip(symbols, (~np.isnan(close)).sum(axis=0).tolist(), strict=True))
    full = ~np.isnan(close[-need:]).any(axis=0)
    counts = np.full(len(symbols), need)
    rest = np.flatnonzero(~full)
    if len(rest):
        counts[rest] = (~np.isnan(close[:, rest])).sum(axis=0)
    return dict(zip(symbols, counts.tolist(), strict=True))


def _held(previous: pd.Series | None) -> set[str]:
    if previous is None:
        return set()
    p = as_float_series(previous)
    return {str(s) for s, w in zip(p.index.tolist(), p.to_numpy().tolist(), strict=True) if s != CASH and w > 1e-9}


def _pick_ranked(ranked: list[str], spec: UniverseSpec, held: set[str]) -> list[str]:
    """Apply ``top_n`` and the rank buffer to ``ranked`` (best first)."""
    n = spec.top_n
    if n is None:
        return ranked
    if spec.buffer is None or not held:
        return ranked[:n]
    rank = {s: i + 1 for i, s in enumerate(ranked)}
    keep = [s for s in ranked if s in held and rank[s] <= spec.buffer.exit]
    enter = [s for s in ranked if s not in held and rank[s] <= spec.buffer.enter]
    chosen = sorted(set(keep) | set(enter), key=rank.__getitem__)[:n]
    for s in ranked:  # fill up in rank order when exits left room
        if len(chosen) >= n:
            break
        if s not in chosen:
            chosen.append(s)
    return sorted(chosen, key=rank.__getitem__)


def _select_members(data: MarketData, spec: UniverseSpec, screen: Any, log: list[dict[str, Any]],
                    compliance: ComplianceSpec | None) -> UniverseResult:
    """Select the members: the membership branch of :func:`select_universe` (see :mod:`indexer.universe.membership`)."""
    res = membership_candidates(data, spec, screen)
    info: dict[str, Any] = {"source": spec.membership, "snapshot": None if res.snapshot is None else res.snapshot.isoformat(),
                            "chosen": res.chosen, "missing": res.missing}
    if res.snapshot is None:
        log.append({"stage": "universe", "rule": "membership", "asset": "*", "action": "excluded",
                    "detail": f"no {spec.membership} snapshot known at {data.close.index[-1].date()}"})
        return UniverseResult(assets=[], log=log, membership=info)
    for m in res.missing:
        log.append({"stage": "universe", "rule": "missing_prices", "asset": m["asset"], "action": "excluded",
                    "detail": f"{m['asset']} ({m['name']}, rank {m['rank']} on {res.snapshot.date()}): {m['reason']}; "
                              f"policy {spec.missing_prices}"})
    assets = list(res.priced)
    info["snapshot_age_days"] = int((data.close.index[-1] - res.snapshot).days)
    if compliance is not None:
        assets, clog = screen_assets(assets, compliance.profile, compliance.rules, data.assets)
        log.extend(clog)
    last = data.close.iloc[-1]
    for s in spec.include:  # forced members, as without membership: held when priced (compliance still applies)
        if s in assets:
            continue
        if s not in last.index or not np.isfinite(last[s]):
            log.append({"stage": "universe", "rule": "include", "asset": s, "action": "excluded",
                        "detail": f"{s} is in universe.include but has no price at the last bar"})
            continue
        if compliance is not None and not screen_assets([s], compliance.profile, compliance.rules, data.assets)[0]:
            continue
        assets.append(s)
        log.append({"stage": "universe", "rule": "include", "asset": s, "action": "included", "detail": f"{s} forced by universe.include"})
    ranks = {r.asset: float(r.rank) for r in res.chosen.itertuples(index=False)}
    return UniverseResult(assets=assets, log=log, rank_of=ranks, membership=info)


def select_universe(
    data: MarketData,
    spec: UniverseSpec,
    *,
    previous: pd.Series | None = None,
    compliance: ComplianceSpec | None = None,
) -> UniverseResult:
    """Assets to hold at ``data``'s last bar, using only ``data`` (pass a point-in-time view).

    Order of rules: a price at the last bar, ``exclude`` list, kinds, themes,
    ``tradable_on`` (a dated exchange market list), history, volume, market cap, compliance, then rank by ``spec.rank_by`` with
    ``top_n`` and the buffer (``previous`` = weights held, incl. CASH), then the
    ``include`` list.

    Returns
    -------
    UniverseResult
        Selected symbols (best rank first, forced includes last) and one log
        entry ``{stage, rule, asset, action, detail}`` per excluded asset.

    Raises
    ------
    DataError
        When a screen needs a panel the data lacks (e.g. market caps to rank by).
    """
    if len(data.close) == 0:
        raise DataError("select_universe: no bars in the data (is as_of before the first bar?)")
    log: list[dict[str, Any]] = []
    screen = _static_screen(data, spec, log)
    if spec.membership is not None:
        return _select_members(data, spec, screen, log, compliance)
    cands = _priced_candidates(data, spec, screen, log)
    eligible, key = _eligible(data, spec, cands, log)
    if compliance is not None:
        eligible, clog = screen_assets(eligible, compliance.profile, compliance.rules, data.assets)
        log.extend(clog)
    chosen, ranks = _rank_and_pick(eligible, key, spec, previous, log)
    if spec.include:
        log = _force_includes(chosen, spec, data.close.iloc[-1], compliance, data, log)
    return UniverseResult(assets=chosen, log=log, rank_of=ranks)


def _excluded(asset: str, rule: str, detail: str) -> dict[str, Any]:
    """One universe log entry for an excluded asset."""
    return {"stage": "universe", "rule": rule, "asset": asset, "action": "excluded", "detail": detail}


def _static_screen(data: MarketData, spec: UniverseSpec, log: list[dict[str, Any]]) -> Callable[[str], bool]:
    """Return the registry screens (``exclude``, kinds, themes) as a predicate that logs each exclusion."""
    reg = data.assets

    def screen(s: str) -> bool:
        if s in spec.exclude:
            log.append(_excluded(s, "exclude", f"{s} is in universe.exclude"))
        elif reg.kind(s) in spec.exclude_kinds:
            log.append(_excluded(s, "exclude_kinds", f"{s} has kind {reg.kind(s)}"))
        elif spec.themes is not None and not (set(spec.themes) & ({reg.kind(s)} | set(reg.themes(s)))):
            log.append(_excluded(s, "themes", f"{s} has none of the themes {spec.themes}"))
        elif set(spec.exclude_themes) & ({reg.kind(s)} | set(reg.themes(s))):
            log.append(_excluded(s, "exclude_themes", f"{s} has an excluded theme "
                                 f"{sorted(set(spec.exclude_themes) & set(reg.themes(s)) or {reg.kind(s)})}"))
        else:
            return True
        return False

    return screen


def _priced_candidates(data: MarketData, spec: UniverseSpec, screen: Callable[[str], bool],
                       log: list[dict[str, Any]]) -> list[str]:
    """Assets priced at the last bar that pass the registry screens and, when set, ``tradable_on``."""
    last = data.close.to_numpy(dtype="float64")[-1]
    # not trading at as_of: not a candidate (not logged, it would flood the log)
    cands = [s for s, px in zip(data.symbols, last, strict=True) if np.isfinite(px) and screen(s)]
    if spec.tradable_on:
        from indexer.universe.tradable import screen_tradable

        cands, entries = screen_tradable(cands, spec.tradable_on, data.close.index[-1])
        log.extend(entries)
    return cands


def _eligible(data: MarketData, spec: UniverseSpec, cands: list[str],
              log: list[dict[str, Any]]) -> tuple[list[str], dict[str, float]]:
    """Candidates with enough history, volume and market cap; and the ranking key (USD) per asset."""
    symbols = data.symbols
    close = data.close.to_numpy(dtype="float64")
    hist = _history_counts(close, spec.min_history_days, symbols)
    needs_vol = spec.min_median_volume_usd > 0 or spec.rank_by == "volume"
    if needs_vol and data.volume is None:
        raise DataError("universe: min_median_volume_usd / rank_by=volume need a volume panel, the data has none")
    vol = dict(zip(symbols, _median_volume_values(data, spec.volume_window_days).tolist(), strict=True)) if needs_vol else {}
    needs_cap = spec.rank_by == "market_cap" or spec.min_market_cap_usd > 0
    if needs_cap and data.market_cap is None:
        raise DataError("universe: rank_by=market_cap / min_market_cap_usd need a market_cap panel, the data has none")
    cap = dict(zip(symbols, latest_cap_values(data, spec.max_stale_days).tolist(), strict=True))

    eligible: list[str] = []
    for s in cands:
        if hist[s] < spec.min_history_days:
            log.append(_excluded(s, "min_history_days", f"{s} has {int(hist[s])} bars < {spec.min_history_days}"))
        elif needs_vol and not (vol[s] >= spec.min_median_volume_usd):
            log.append(_excluded(s, "min_median_volume_usd",
                                 f"{s} median volume {vol[s]:.4g} USD < {spec.min_median_volume_usd:.4g}"))
        elif needs_cap and not np.isfinite(cap[s]):
            log.append(_excluded(s, "market_cap", f"{s} has no market cap in the last {spec.max_stale_days} bars"))
        elif needs_cap and cap[s] < spec.min_market_cap_usd:
            log.append(_excluded(s, "min_market_cap_usd",
                                 f"{s} market cap {cap[s]:.4g} USD < {spec.min_market_cap_usd:.4g}"))
        else:
            eligible.append(s)
    return eligible, (cap if spec.rank_by == "market_cap" else vol)


def _rank_and_pick(eligible: list[str], key: dict[str, float], spec: UniverseSpec, previous: pd.Series | None,
                   log: list[dict[str, Any]]) -> tuple[list[str], dict[str, float]]:
    """Rank ``eligible`` by ``key`` (descending, ties by symbol), apply ``top_n`` and the buffer; log the rest.

    Returns the chosen assets and the rank (1 = best) of every eligible one.
    """
    ranked = sorted(eligible, key=lambda s: (-float(key[s]), s))
    ranks = {s: float(i + 1) for i, s in enumerate(ranked)}
    chosen = _pick_ranked(ranked, spec, _held(previous))
    picked = set(chosen)
    for i, s in enumerate(ranked):
        if s not in picked:
            log.append(_excluded(s, "rank", f"{s} ranks {i + 1} by {spec.rank_by}, outside the selection"))
    return chosen, ranks


def _force_includes(chosen: list[str], spec: UniverseSpec, last: pd.Series, compliance: ComplianceSpec | None,
                    data: MarketData, log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append ``universe.include`` assets priced at the last bar to ``chosen`` (compliance still applies).

    Returns the log with a forced asset's earlier universe exclusions replaced by one ``included`` entry.
    """
    for s in spec.include:
        if s in chosen:
            continue
        if s not in last.index or not np.isfinite(last[s]):
            log.append(_excluded(s, "include", f"{s} is in universe.include but has no price at the last bar"))
            continue
        if compliance is not None:
            ok, clog = screen_assets([s], compliance.profile, compliance.rules, data.assets)
            if not ok:
                log.extend(clog)
                continue
        chosen.append(s)
        log = [e for e in log if e["asset"] != s or e["stage"] != "universe" or e["rule"] == "include"]
        log.append({"stage": "universe", "rule": "include", "asset": s, "action": "included", "detail": f"{s} forced by universe.include"})
    return log
