"""Signal evaluation: Spearman information coefficient (IC), IC decay, quantile spreads, turnover.

Cross-sectional IC at t: Spearman rank correlation across assets between the
signal at t and the forward return from t to t+h.  Summary statistics use
non-overlapping dates (every h bars) for the t-statistic, since consecutive
h-day forward returns overlap.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["ic_series", "ic_summary", "ic_decay", "ts_ic", "quantile_spread", "signal_turnover"]


def _row_spearman(a: pd.DataFrame, b: pd.DataFrame, min_assets: int) -> pd.Series:
    m = a.notna() & b.notna()
    ra = a.where(m).rank(axis=1)
    rb = b.where(m).rank(axis=1)
    ra = ra.sub(ra.mean(axis=1), axis=0)
    rb = rb.sub(rb.mean(axis=1), axis=0)
    den = np.sqrt((ra * ra).sum(axis=1) * (rb * rb).sum(axis=1))
    ic = (ra * rb).sum(axis=1) / den.where(den > 0)
    return ic.where(m.sum(axis=1) >= min_assets)


def ic_series(signal: pd.DataFrame, close: pd.DataFrame, horizon: int = 30, *, min_assets: int = 5) -> pd.Series:
    """Daily cross-sectional Spearman IC of ``signal`` against ``horizon``-day forward returns.

    NaN on days with fewer than ``min_assets`` assets having both values.
    """
    fwd = close.shift(-horizon) / close - 1.0
    return _row_spearman(signal.reindex_like(close), fwd, min_assets).rename("ic")


def ic_summary(ic: pd.Series, horizon: int = 30) -> dict[str, float]:
    """Mean IC, its sd, IR (mean/sd), hit rate, and a t-statistic on non-overlapping dates (every ``horizon`` days)."""
    s = ic.dropna()
    if len(s) == 0:
        return {"mean": np.nan, "sd": np.nan, "ir": np.nan, "hit_rate": np.nan, "t_stat": np.nan, "n_days": 0, "n_indep": 0}
    sub = s.iloc[::max(1, horizon)]
    sd_sub = float(sub.std()) if len(sub) > 1 else np.nan
    t = float(sub.mean() / sd_sub * np.sqrt(len(sub))) if sd_sub and sd_sub > 0 else np.nan
    sd = float(s.std()) if len(s) > 1 else np.nan
    return {
        "mean": float(s.mean()),
        "sd": sd,
        "ir": float(s.mean() / sd) if sd and sd > 0 else np.nan,
        "hit_rate": float((s > 0).mean()),
        "t_stat": t,
        "n_days": int(len(s)),
        "n_indep": int(len(sub)),
    }


def ic_decay(signal: pd.DataFrame, close: pd.DataFrame, horizons: Iterable[int] = (1, 7, 30, 90), *, min_assets: int = 5) -> pd.Series:
    """Mean cross-sectional IC for each forward horizon (days)."""
    return pd.Series({h: ic_series(signal, close, h, min_assets=min_assets).mean() for h in horizons}, name="mean_ic")


def ts_ic(signal: pd.Series, close: pd.Series, horizon: int = 30) -> dict[str, float]:
    """Time-series Spearman IC of one asset's signal against its own ``horizon``-day forward return.

    Uses non-overlapping dates (every ``horizon`` days), so the p-value is honest.
    """
    fwd = close.shift(-horizon) / close - 1.0
    df = pd.DataFrame({"s": signal, "f": fwd}).dropna().iloc[:: max(1, horizon)]
    if len(df) < 4:
        return {"ic": np.nan, "p_value": np.nan, "n": int(len(df))}
    from scipy import stats  # imported when used (fast start-up)

    r = stats.spearmanr(df["s"], df["f"])
    return {"ic": float(r.statistic), "p_value": float(r.pvalue), "n": int(len(df))}


def quantile_spread(
    signal: pd.DataFrame, close: pd.DataFrame, horizon: int = 30, *, quantiles: int = 3, min_assets: int = 6
) -> pd.Series:
    """Per date: mean ``horizon``-day forward return of the top signal quantile minus the bottom one (fraction)."""
    fwd = close.shift(-horizon) / close - 1.0
    sig = signal.reindex_like(close).where(fwd.notna())
    n = sig.notna().sum(axis=1)
    pct = sig.rank(axis=1, pct=True)
    top = fwd.where(pct > 1.0 - 1.0 / quantiles).mean(axis=1)
    bot = fwd.where(pct <= 1.0 / quantiles).mean(axis=1)
    return (top - bot).where(n >= min_assets).rename("spread")


def signal_turnover(signal: pd.DataFrame, step: int = 1, *, min_assets: int = 5) -> float:
    """Mean of ``1 - Spearman(signal_t, signal_{t-step})`` across dates (0 = ranks never change, 1 = unrelated)."""
    rho = _row_spearman(signal, signal.shift(step), min_assets)
    return float((1.0 - rho).mean())
