"""Combinatorial purged cross-validation (CPCV) of signal blends, with PBO and the deflated Sharpe ratio.

Observations are days of the design period (default 2017-2022).  skfolio's
``CombinatorialPurgedCV`` splits them into ``n_folds`` consecutive folds,
tests every choice of ``n_test_folds`` folds, purges ``purge`` days (the
forward-return horizon: training targets that overlap a test fold) on both
sides of each test fold and embargoes ``embargo`` days after it.  Each
configuration of :data:`DEFAULT_CANDIDATES` is trained on the (date, asset) rows
of the training days (every ``sample_every``-th day) and scored on the test
days; the test folds recombine into ``n_paths`` full out-of-sample paths.

Per path: the mean daily cross-sectional Spearman IC of the prediction against
the ``horizon``-day forward return, and the annualised Sharpe (sqrt(365)) of
the *active* daily return of an equal-weight portfolio of the top third of
assets by prediction over the equal-weight portfolio of all scored assets
(re-formed daily, next-day returns, no costs): an information ratio of the
ranking, not a tradable backtest.  The fixed blends are not fitted, so all
their paths are the same series (a degenerate distribution).  The path-averaged daily returns of every configuration
feed :func:`indexer.research.pbo.pbo_cscv`; the configuration with the best
median path Sharpe is "chosen" and deflated by
:func:`indexer.research.deflated_sharpe.deflated_sharpe` against all tried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer.research.deflated_sharpe import deflated_sharpe, sharpe
from indexer.research.pbo import pbo_cscv
from indexer.signals.blend import (
    fixed_blend,
    forward_returns,
    ml_target,
    normalised_panels,
    signal_panels,
    stack_features,
)
from indexer.signals.evaluate import ic_series
from indexer.signals.spec import ScoringSpec

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["BlendCandidate", "DEFAULT_CANDIDATES", "CPCVResult", "cpcv_splits", "cpcv_evaluate", "top_third_returns"]

ANNUAL = np.sqrt(365.0)


@dataclass(frozen=True)
class BlendCandidate:
    """One tried configuration: ``kind`` fixed (``equal`` weights or the spec's), ridge or gbr, with estimator params."""

    name: str
    kind: str
    params: dict = field(default_factory=dict)
    equal_weights: bool = False

    def estimator(self) -> Any:
        """Return a new unfitted scikit-learn estimator of this configuration (ValueError for fixed blends)."""
        from sklearn.ensemble import GradientBoostingRegressor
        from sklearn.linear_model import Ridge

        if self.kind == "ridge":
            return Ridge(**self.params)
        if self.kind == "gbr":
            return GradientBoostingRegressor(
                **{"n_estimators": 50, "learning_rate": 0.1, "subsample": 0.5, "min_samples_leaf": 50, "random_state": 0, **self.params}
            )
        raise ValueError(f"config {self.name}: no estimator for kind {self.kind!r}")


DEFAULT_CANDIDATES: list[BlendCandidate] = [
    BlendCandidate("fixed (spec weights)", "fixed"),
    BlendCandidate("fixed (equal weights)", "fixed", equal_weights=True),
    *[BlendCandidate(f"ridge alpha={a:g}", "ridge", {"alpha": a}) for a in (0.1, 1.0, 10.0, 100.0)],
    *[BlendCandidate(f"gbr depth={d}", "gbr", {"max_depth": d}) for d in (2, 3)],
]


@dataclass
class CPCVResult:
    """Per configuration: path Sharpes (annualised), path ICs, split ICs; PBO; the chosen one's DSR."""

    period: str
    n_assets: int
    n_splits: int
    n_paths: int
    purge: int
    embargo: int
    path_sharpe: pd.DataFrame  # paths x configs
    path_ic: pd.DataFrame  # paths x configs
    split_ic: pd.DataFrame  # splits x configs
    mean_returns: pd.DataFrame  # days x configs (path-averaged OOS returns)
    pbo: dict[str, Any]
    chosen: str
    dsr: dict[str, float]
    benchmark_sharpe: float
    membership: str = "every asset of the data (no candidate mask)"

    def summary(self) -> pd.DataFrame:
        """One row per configuration: path Sharpe median and 5-95 % range, share > 0, mean path IC, split IC range."""
        s, ic, sic = self.path_sharpe, self.path_ic, self.split_ic
        out = pd.DataFrame({
            "sharpe_median": s.median(), "sharpe_p05": s.quantile(0.05), "sharpe_p95": s.quantile(0.95),
            "share_sharpe_gt0": (s > 0).mean(), "ic_mean": ic.mean(), "ic_split_p05": sic.quantile(0.05),
            "ic_split_p95": sic.quantile(0.95),
        })
        out.index.name = "configuration"
        return out


def top_third_returns(score: pd.DataFrame, close: pd.DataFrame, min_assets: int = 3) -> pd.Series:
    """Daily active return: next-day return of the equal-weight top third by ``score`` minus that of all scored assets.

    NaN where fewer than ``min_assets`` assets are scored (fraction per day).
    """
    nxt = close.pct_change(fill_method=None).shift(-1)
    s = score.where(nxt.notna())
    top = s.rank(axis=1, pct=True) > 2.0 / 3.0
    active = nxt.where(top).mean(axis=1) - nxt.where(s.notna()).mean(axis=1)
    return active.where(s.notna().sum(axis=1) >= min_assets)


def cpcv_splits(n_days: int, *, n_folds: int, n_test_folds: int, purge: int, embargo: int) -> tuple[list, np.ndarray]:
    """Skfolio ``CombinatorialPurgedCV`` splits of ``n_days`` days: ``[(train_idx, [test_idx, ...]), ...]`` and path ids."""
    from skfolio.model_selection import CombinatorialPurgedCV

    cv = CombinatorialPurgedCV(n_folds=n_folds, n_test_folds=n_test_folds, purged_size=purge, embargo_size=embargo)
    splits = list(cv.split(np.zeros((n_days, 1))))
    return splits, np.asarray(cv.get_path_ids())


def _fixed_spec(spec: ScoringSpec, equal: bool) -> ScoringSpec:
    if not equal:
        return spec
    d = spec.model_dump()
    for s in d["signals"]:
        s["weight"] = 1.0
    return ScoringSpec(**d)


def cpcv_evaluate(
    data: MarketData,
    spec: ScoringSpec,
    configs: Sequence[BlendCandidate] = DEFAULT_CANDIDATES,
    *,
    n_folds: int = 8,
    n_test_folds: int = 2,
    embargo: int = 10,
    sample_every: int = 5,
    progress: Callable[[str], None] | None = None,
    candidates: pd.DataFrame | None = None,
    membership: str | None = None,
) -> CPCVResult:
    """CPCV of ``configs`` on ``data`` (already cut to the design period, stablecoins removed); see module docstring.

    ``candidates`` (days x assets, bool; e.g. :func:`indexer.research.eras.era_membership`) restricts every
    cross-section to the point-in-time candidates of each day: signals are normalised, models trained, scores
    ranked and the equal-weight benchmark formed over candidates only (forward returns still use later prices).
    ``membership`` is the statement of the rule, carried into the result.
    """
    horizon = spec.model.horizon
    close = data.close
    raw = signal_panels(data, spec)
    if candidates is not None:
        cand = candidates.reindex(index=close.index, columns=close.columns).fillna(False).astype(bool)
        raw = {k: v.where(cand) for k, v in raw.items()}
        target = forward_returns(close, horizon).where(cand)
        if spec.normalise in ("zscore", "rank") and close.shape[1] > 1:
            target = target.sub(target.mean(axis=1), axis=0)
    else:
        cand = None
        target = ml_target(close, spec)
    norm = normalised_panels(raw, spec)
    X = stack_features(norm, spec.labels)
    y = target.stack(future_stack=True).reindex(X.index)
    dates = close.index
    row_day = dates.get_indexer(X.index.get_level_values("timestamp"))
    splits, path_ids = cpcv_splits(len(dates), n_folds=n_folds, n_test_folds=n_test_folds, purge=horizon, embargo=embargo)
    n_paths = int(path_ids.max()) + 1
    fwd_ok = y.notna().to_numpy()
    sampled = (row_day % sample_every) == 0
    xv = X.fillna(0.0).to_numpy(dtype="float64")
    empty = ~X.notna().any(axis=1).to_numpy()
    path_ret = {c.name: [pd.Series(dtype="float64") for _ in range(n_paths)] for c in configs}
    path_ic_parts: dict[str, list[list[pd.Series]]] = {c.name: [[] for _ in range(n_paths)] for c in configs}
    split_ic: dict[str, list[float]] = {c.name: [] for c in configs}
    for c in configs:
        if progress:
            progress(f"CPCV {c.name}: {len(splits)} splits ...")
        fixed_score = fixed_blend(norm, _fixed_spec(spec, c.equal_weights))[0] if c.kind == "fixed" else None
        for k, (train, tests) in enumerate(splits):
            if fixed_score is None:
                tr_rows = np.isin(row_day, train) & fwd_ok & sampled
                model = c.estimator().fit(xv[tr_rows], y.to_numpy()[tr_rows])
            ics = []
            for j, test in enumerate(tests):
                te_dates = dates[test]
                if fixed_score is not None:
                    score = fixed_score.loc[te_dates]
                else:
                    te_rows = np.isin(row_day, test)
                    pred = np.where(empty[te_rows], np.nan, model.predict(xv[te_rows]))
                    score = pd.Series(pred, index=X.index[te_rows]).unstack("asset").reindex(index=te_dates, columns=close.columns)
                ic = ic_series(score, close.loc[: te_dates[-1] + pd.Timedelta(days=horizon)], horizon).reindex(te_dates)
                ics.append(ic)
                p = int(path_ids[k, j])
                path_ret[c.name][p] = pd.concat([path_ret[c.name][p], top_third_returns(score, close).reindex(te_dates)])
                path_ic_parts[c.name][p].append(ic)
            split_ic[c.name].append(float(pd.concat(ics).mean()))
    path_sharpe = pd.DataFrame({n: [sharpe(s) * ANNUAL for s in v] for n, v in path_ret.items()})
    path_ic = pd.DataFrame({n: [float(pd.concat(v).mean()) for v in parts] for n, parts in path_ic_parts.items()})
    mean_returns = pd.DataFrame({n: pd.concat(v, axis=1).sort_index().mean(axis=1) for n, v in path_ret.items()}).dropna()
    pbo = pbo_cscv(mean_returns, n_blocks=16)
    chosen = str(path_sharpe.median().idxmax())
    trial_sr = [sharpe(mean_returns[n]) for n in mean_returns.columns]
    dsr = deflated_sharpe(mean_returns[chosen], trial_sr)
    nxt = close.pct_change(fill_method=None).shift(-1)
    bench = (nxt if cand is None else nxt.where(cand)).mean(axis=1).reindex(mean_returns.index)
    return CPCVResult(
        period=f"{dates[0]:%Y-%m-%d}..{dates[-1]:%Y-%m-%d}",
        n_assets=close.shape[1] if cand is None else int(cand.any().sum()), n_splits=len(splits), n_paths=n_paths,
        purge=horizon, embargo=embargo, path_sharpe=path_sharpe, path_ic=path_ic,
        split_ic=pd.DataFrame(split_ic), mean_returns=mean_returns, pbo=pbo, chosen=chosen, dsr=dsr,
        benchmark_sharpe=sharpe(bench) * ANNUAL,
        **({"membership": membership} if membership else {}),
    )
