"""Optimiser speed: a mean-variance walk-forward through indexer, PyPortfolioOpt and skfolio.

Every library solves the same problems: 120-day windows of daily returns,
weekly steps, scores = 0.3 x the annualised 60-day mean return, Ledoit-Wolf
covariance (x365), maximise ``scores.w - 1.0 w'Sw`` with 0 <= w <= 0.15 and
sum(w) = 1.  Peers get the covariance precomputed outside their timing;
indexer's time includes estimating it from the returns window.

Universes:

* ``real20``: the 20 reference assets with the largest market cap among those
  fully covered over the walk-forward (2024-01 .. 2025-10);
* ``real_all``: every non-stablecoin reference asset fully covered then;
* ``real100``: ``real_all`` plus assets derived from real returns (a random
  mix of two real assets plus a third real asset's returns shuffled in time as
  idiosyncratic noise) up to 100 -- the reference data has only ~35 assets
  with history over the period;
* ``synthetic300``: 300 assets from a 3-factor model whose factor returns are
  the top principal components of the real returns, with Student-t noise.

Run ``pytest tests/perf/test_optimiser_perf.py --benchmark-enable`` for the
timings; the default (benchmarks disabled) run solves two steps per case and
checks agreement only.  ``test_zz_ratio_table`` prints ms per rebalance and
the speed-up over the fastest peer.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import numpy as np
import pandas as pd
import pytest

from indexer._typing import CASH
from indexer.optimiser import OptimiserSpec, RiskModelSpec, WeighContext, covariance, solve

pytestmark = pytest.mark.perf

pypfopt = pytest.importorskip("pypfopt")
pytest.importorskip("skfolio")

from optimiser.peers import GivenCovariance as _GivenCovariance  # noqa: E402
from optimiser.peers import GivenMu as _GivenMu  # noqa: E402
from skfolio.measures import RiskMeasure  # noqa: E402
from skfolio.optimization import MeanRisk, ObjectiveFunction  # noqa: E402
from skfolio.prior import EmpiricalPrior  # noqa: E402

WINDOW, STEP, MAX_STEPS = 120, 7, 26
GAMMA, CAP = 1.0, 0.15
LW = RiskModelSpec(name="ledoit_wolf")
SPEC = OptimiserSpec(objective="mean_variance", params={"risk_aversion": GAMMA}, risk_model=LW,
                     constraints={"max_weight": CAP})
TIMES: dict[tuple[str, str], float] = {}


class Step:
    """One rebalance: returns window, scores, and (for the peers) its covariance."""

    def __init__(self, returns: pd.DataFrame) -> None:
        self.returns = returns
        self.scores = returns.iloc[-60:].mean() * 365 * 0.3

    @cached_property
    def cov(self) -> np.ndarray:
        return covariance(self.returns.to_numpy(), LW)


def _steps(r: pd.DataFrame) -> list[Step]:
    ends = range(WINDOW, len(r) + 1, STEP)
    return [Step(r.iloc[end - WINDOW : end]) for end in ends][:MAX_STEPS]


def _derived(real: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    cols = list(real.columns)
    x = real.to_numpy()
    extra = {}
    for j in range(n - len(cols)):
        a, b, c = rng.choice(len(cols), size=3, replace=False)
        mix = rng.uniform(0.2, 0.8)
        noise = rng.permutation(x[:, c])
        extra[f"D{j:03d}"] = mix * x[:, a] + (1 - mix) * x[:, b] + 0.5 * noise
    return pd.concat([real, pd.DataFrame(extra, index=real.index)], axis=1)


def _synthetic(real: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    x = real.to_numpy() - real.to_numpy().mean(axis=0)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    factors = u[:, :3] * s[:3] / np.sqrt(real.shape[1])
    loadings = rng.normal(1.0, 0.5, size=(3, n)) * np.array([[1.0], [0.5], [0.3]])
    noise = rng.standard_t(4, size=(len(real), n)) * 0.02
    data = factors @ loadings + noise + rng.normal(0.0005, 0.0005, size=n)
    return pd.DataFrame(data, index=real.index, columns=[f"S{i:03d}" for i in range(n)])


@pytest.fixture(scope="module")
def universes(reference) -> dict[str, list[Step]]:
    close = reference.close.loc["2024-01-01":]
    r = close.pct_change(fill_method=None).iloc[1:]
    stable = set(reference.assets.stablecoins())
    full = [a for a in r.columns if a not in stable and r[a].notna().all()]
    caps = reference.market_cap.loc[:"2024-01-01"].ffill().iloc[-1].reindex(full).fillna(0.0)
    top20 = list(caps.sort_values(ascending=False).index[:20])
    rng = np.random.default_rng(7)
    real = r[full]
    return {
        "real20": _steps(r[top20]),
        f"real_all_{len(full)}": _steps(real),
        "real100": _steps(_derived(real, 100, rng)),
        "synthetic300": _steps(_synthetic(real, 300, rng)),
    }


def run_indexer(s: Step) -> np.ndarray:
    ctx = WeighContext(assets=tuple(s.returns.columns), returns=s.returns, scores=s.scores)
    return solve(SPEC, ctx).weights.drop(CASH).to_numpy()


def run_pypfopt(s: Step) -> np.ndarray:
    from pypfopt import EfficientFrontier

    cov = pd.DataFrame(s.cov, index=s.scores.index, columns=s.scores.index)
    ef = EfficientFrontier(s.scores, cov, weight_bounds=(0.0, CAP))
    return np.array(list(ef.max_quadratic_utility(risk_aversion=2.0 * GAMMA).values()))


def run_skfolio(s: Step) -> np.ndarray:
    model = MeanRisk(
        objective_function=ObjectiveFunction.MAXIMIZE_UTILITY,
        risk_measure=RiskMeasure.VARIANCE,
        risk_aversion=GAMMA,
        max_weights=CAP,
        prior_estimator=EmpiricalPrior(mu_estimator=_GivenMu(s.scores.to_numpy()),
                                       covariance_estimator=_GivenCovariance(s.cov)),
    )
    return np.asarray(model.fit(s.returns.to_numpy()).weights_)


RUNNERS: dict[str, Callable[[Step], np.ndarray]] = {
    "indexer": run_indexer,
    "pypfopt": run_pypfopt,
    "skfolio": run_skfolio,
}
UNIVERSES = ["real20", "real_all", "real100", "synthetic300"]


def _get(universes: dict[str, list[Step]], key: str) -> tuple[str, list[Step]]:
    name = next(k for k in universes if k.startswith(key))
    return name, universes[name]


@pytest.mark.parametrize("universe", UNIVERSES)
@pytest.mark.parametrize("library", list(RUNNERS))
def test_walk_forward(benchmark, universes, universe: str, library: str) -> None:
    name, steps = _get(universes, universe)
    steps = steps[:2] if benchmark.disabled else steps
    run = RUNNERS[library]
    for s in steps:
        s.cov  # noqa: B018 - estimated before timing: peers are given the covariance
    benchmark.group = f"optimiser walk-forward {name} (N={steps[0].returns.shape[1]})"
    out = benchmark.pedantic(lambda: [run(s) for s in steps], rounds=3, iterations=1, warmup_rounds=1)
    ref = [run_indexer(s) for s in steps] if library != "indexer" else out
    for got, want in zip(out, ref, strict=True):
        assert np.isfinite(got).all() and got.sum() == pytest.approx(1.0, abs=1e-6)
        assert np.abs(got - want).max() < 1e-4
    if not benchmark.disabled:
        per = benchmark.stats.stats.mean / len(steps)
        benchmark.extra_info["ms_per_rebalance"] = per * 1e3
        TIMES[(universe, library)] = per


def test_zz_ratio_table(universes, perf_table) -> None:
    """Print ms per rebalance and the speed-up over the fastest peer (needs --benchmark-enable)."""
    if not TIMES:
        pytest.skip("timings are collected only with --benchmark-enable")
    lines = ["| universe | N | indexer ms | PyPortfolioOpt ms | skfolio ms | speed-up vs fastest peer |",
             "|---|---|---|---|---|---|"]
    for u in UNIVERSES:
        if (u, "indexer") not in TIMES:
            continue
        name, steps = _get(universes, u)
        t = {lib: TIMES[(u, lib)] * 1e3 for lib in RUNNERS}
        fastest_peer = min(t["pypfopt"], t["skfolio"])
        lines.append(f"| {name} | {steps[0].returns.shape[1]} | {t['indexer']:.2f} | {t['pypfopt']:.2f} | "
                     f"{t['skfolio']:.2f} | {fastest_peer / t['indexer']:.1f}x |")
    print("\n" + "\n".join(lines))
    perf_table("optimiser walk-forward (tests/perf/test_optimiser_perf.py; ms per rebalance)", "\n".join(lines))
    for u in ("real100", "synthetic300"):
        t = {lib: TIMES[(u, lib)] for lib in RUNNERS}
        assert t["indexer"] < min(t["pypfopt"], t["skfolio"]), f"indexer slower than a peer on {u}"
