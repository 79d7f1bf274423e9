"""Evaluation tables behind ``indexer signals report`` (pure computation; the CLI prints and plots).

* :func:`cross_sectional_report`: per signal and for the blend, mean Spearman IC
  at the main horizon, IR, t-stat on non-overlapping dates, hit rate, IC decay,
  top-minus-bottom tercile spread and daily rank turnover.  The ML blend's
  values are out-of-sample (walk-forward with purge).
* :func:`time_series_report`: one asset's (e.g. BTC's) time-series IC per signal
  on non-overlapping dates, with the period covered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer.signals.blend import blend_panel
from indexer.signals.evaluate import ic_decay, ic_series, ic_summary, quantile_spread, signal_turnover, ts_ic
from indexer.signals.spec import ScoringSpec

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["default_spec", "cross_sectional_report", "time_series_report"]


def default_spec(names: Sequence[str] | None = None, model: str = "ridge", horizon: int = 30) -> ScoringSpec:
    """Return a :class:`ScoringSpec` of the named signals (default params, weight 1), blended by ``model``.

    Parameters
    ----------
    names : signal names from :func:`indexer.signals.available`; ``None`` for a
        default price, liquidity and news set.
    model : blend model type (``"fixed"``, ``"ridge"``, ``"gbr"``, ...).
    horizon : forward-return horizon the model is fitted on, in days.
    """
    names = list(names) if names else [
        "momentum", "vol_adjusted_momentum", "trend_tstat", "ma_slope", "amihud", "volume", "news_sentiment",
    ]
    return ScoringSpec(
        signals=[{"name": n} for n in names],
        model={"type": model, "horizon": horizon, "refit_every": 30 if model != "gbr" else 90},
    )


def cross_sectional_report(
    data: MarketData, spec: ScoringSpec, *, horizon: int = 30, horizons: Sequence[int] = (1, 7, 30, 90), min_assets: int = 5
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Cross-sectional IC table of each signal of ``spec`` (normalised) and of their blend.

    Parameters
    ----------
    data : market data; the whole history is evaluated (the ML blend's values
        are out-of-sample, walk-forward with purge).
    spec : the signals and blend model to evaluate.
    horizon : main forward-return horizon, in days.
    horizons : horizons of the IC decay columns, in days.
    min_assets : fewest assets with values for a day's IC to count.

    Returns
    -------
    table : one row per signal plus ``blend[<model>]``; columns ``IC<h>d`` (mean
        Spearman IC), ``IR``, ``t`` (on non-overlapping dates), ``hit`` (fraction of
        positive ICs), ``days``, the decay ICs, ``spread`` (top-minus-bottom
        tercile forward return, fraction), ``turn1d`` (daily rank turnover) and ``period``.
    extra : ``{"ic": daily IC series per row, "blend": blend panel, "folds": ML
        folds or None, "decay_horizons": list of horizons}`` for plotting.
    """
    blend, info = blend_panel(data, spec)
    panels: dict[str, pd.DataFrame] = dict(info["normalised"])
    panels[f"blend[{spec.model.type}]"] = blend
    rows, ics = {}, {}
    for name, p in panels.items():
        ic = ic_series(p, data.close, horizon, min_assets=min_assets)
        s = ic_summary(ic, horizon)
        decay = ic_decay(p, data.close, horizons, min_assets=min_assets)
        spread = quantile_spread(p, data.close, horizon, min_assets=max(min_assets, 6))
        rows[name] = {
            f"IC{horizon}d": s["mean"],
            "IR": s["ir"],
            "t": s["t_stat"],
            "hit": s["hit_rate"],
            "days": s["n_days"],
            **{f"IC{h}d": decay[h] for h in horizons if h != horizon},
            "spread": float(spread.mean()) if spread.notna().any() else np.nan,
            "turn1d": signal_turnover(p, 1, min_assets=min_assets),
            "period": f"{ic.dropna().index.min():%Y-%m}..{ic.dropna().index.max():%Y-%m}" if ic.notna().any() else "",
        }
        ics[name] = ic
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "signal"
    return table, {"ic": pd.DataFrame(ics), "blend": blend, "folds": info.get("folds"), "decay_horizons": list(horizons)}


def time_series_report(
    data: MarketData, spec: ScoringSpec, asset: str = "BTC", *, horizon: int = 30
) -> pd.DataFrame:
    """Time-series IC of each raw signal of ``spec`` for one ``asset`` (non-overlapping ``horizon``-day steps).

    For an ML ``spec.model`` also the out-of-sample walk-forward blend of those
    signals on this one asset (use ``normalise="ts_zscore"``).

    Returns
    -------
    DataFrame indexed by signal label with columns ``horizon`` (days), ``tsIC``
    (Spearman IC), ``p_value``, ``n`` (dates used) and ``period``.
    """
    one = data.select([asset])
    rows = {}
    for s in spec.signals:
        sig = s.build()(one)[asset]
        r = ts_ic(sig, one.close[asset], horizon)
        valid = sig.dropna()
        rows[s.label] = {
            "horizon": horizon,
            "tsIC": r["ic"],
            "p_value": r["p_value"],
            "n": r["n"],
            "period": f"{valid.index.min():%Y-%m}..{valid.index.max():%Y-%m}" if len(valid) else "",
        }
    if spec.model.type != "fixed":
        blend, _ = blend_panel(one, spec)
        r = ts_ic(blend[asset], one.close[asset], horizon)
        valid = blend[asset].dropna()
        rows[f"blend[{spec.model.type}] (OOS)"] = {
            "horizon": horizon,
            "tsIC": r["ic"],
            "p_value": r["p_value"],
            "n": r["n"],
            "period": f"{valid.index.min():%Y-%m}..{valid.index.max():%Y-%m}" if len(valid) else "",
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "signal"
    return table
