"""Run a sweep: one walk-forward per strategy-parameter set, the cost grid broadcast in one vectorbt run each.

Locally (a loop with a rich progress bar) or on a Dask cluster (``scheduler="tcp://HOST:8786"``);
both call the same :func:`run_trial` and give the same table.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from indexer.backtesting.costs import CostModel
from indexer.backtesting.metrics import compute_stats, turnover_annual
from indexer.backtesting.simulate import simulate_cost_grid
from indexer.backtesting.sweep.dsr import deflated_sharpe
from indexer.backtesting.sweep.spec import LOWER_IS_BETTER, RandomRange, SweepSpec, load_sweep
from indexer.backtesting.walk import walk_forward
from indexer.exceptions import ConfigError
from indexer.runcache import RunCache

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["SweepResult", "expand_params", "apply_overrides", "run_trial", "run_sweep", "worker_cache", "worker_cache_info"]

_WORKER = threading.local()

#: Columns of the results table besides the parameters.
RESULT_COLUMNS = (
    "trial", "fees", "slippage", "cagr", "volatility", "sharpe", "deflated_sharpe", "sortino", "calmar",
    "max_drawdown", "max_drawdown_duration_days", "turnover_annual", "fees_paid", "slippage_paid", "n_rebalances",
    "final_value", "sharpe_daily", "skew", "kurtosis", "n_obs",
)  # fmt: skip


@dataclass
class SweepResult:
    """A ranked results table (best first), the sweep spec and the DSR benchmark Sharpe."""

    table: pd.DataFrame
    spec: SweepSpec
    n_trials: int
    sr0_annual: float

    @property
    def best(self) -> dict[str, Any]:
        """The best-ranked row (parameters, stats, ``sharpe`` and its ``deflated_sharpe``)."""
        return {"rank": int(self.table.index[0]), **self.table.iloc[0].to_dict()}

    def save(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``results.parquet`` and ``results.csv``; returns the paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"parquet": out / "results.parquet", "csv": out / "results.csv"}
        self.table.to_parquet(paths["parquet"])
        self.table.to_csv(paths["csv"])
        return paths


def expand_params(spec: SweepSpec) -> list[dict[str, Any]]:
    """Parameter sets: the full grid (in file order) or ``n_samples`` random draws (seeded)."""
    keys = list(spec.params)
    if not keys:
        return [{}]
    if spec.mode == "grid":
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(spec.params[k] for k in keys))]
    rng = np.random.default_rng(spec.seed)
    out = []
    for _ in range(spec.n_samples):
        draw: dict[str, Any] = {}
        for k in keys:
            v = spec.params[k]
            if isinstance(v, RandomRange):
                x = float(np.exp(rng.uniform(np.log(v.low), np.log(v.high)))) if v.log else float(rng.uniform(v.low, v.high))
                draw[k] = int(round(x)) if v.integer else x
            else:
                draw[k] = v[int(rng.integers(len(v)))]
        out.append(draw)
    return out


def _list_item(items: list[Any], part: str, path: str) -> Any:
    """``items[int(part)]``, or the mapping whose ``label`` (else ``name``) is ``part``."""
    if part.isdigit():
        if int(part) >= len(items):
            raise ConfigError(f"sweep param {path!r}: index {part} is past the {len(items)} items of the list")
        return items[int(part)]
    hits = [x for x in items if isinstance(x, dict) and x.get("label", x.get("name")) == part]
    if len(hits) != 1:
        names = [x.get("label", x.get("name")) for x in items if isinstance(x, dict)]
        raise ConfigError(f"sweep param {path!r}: {part!r} names {len(hits)} list items; expected one of {names} or an index")
    return hits[0]


def apply_overrides(doc: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of the strategy document with each dotted path (``optimiser.params.max_weight``) set.

    A list step is an index or the ``label`` (else ``name``) of a list item, e.g.
    ``signals.signals.news_sentiment.weight`` or ``signals.signals.0.weight``.
    """
    out = copy.deepcopy(doc)
    for path, value in overrides.items():
        node: dict[str, Any] | list[Any] = out
        parts = path.split(".")
        for p in parts[:-1]:
            if isinstance(node, list):
                nxt = _list_item(node, p, path)
            else:
                nxt = node.get(p)
                if nxt is None:
                    nxt = node[p] = {}
            if not isinstance(nxt, (dict, list)):
                raise ConfigError(f"sweep param {path!r}: {p!r} is not a mapping or list in the strategy file")
            node = nxt
        if isinstance(node, list):
            raise ConfigError(f"sweep param {path!r}: ends at a list item; name a field of it")
        node[parts[-1]] = value
    return out


def _moments(equity: pd.Series) -> tuple[float, float, float, int]:
    r = equity.pct_change().dropna().to_numpy()
    if len(r) < 3 or r.std(ddof=1) == 0:
        return float("nan"), float("nan"), float("nan"), len(r)
    from scipy.stats import kurtosis, skew

    return float(r.mean() / r.std(ddof=1)), float(skew(r)), float(kurtosis(r, fisher=False)), len(r)


def worker_cache() -> RunCache:
    """Return this thread's sweep cache, shared by every trial run here.

    It holds signal features of the same data and compiled problems, so a worker computes the
    signals of its data once, not once per trial.  Per thread, because a feature store is extended
    in place (a Dask worker process with one thread has exactly one).
    """
    c = getattr(_WORKER, "cache", None)
    if c is None:
        c = _WORKER.cache = RunCache(sizes={"signals.features": 4})
    return c


def worker_cache_info() -> dict[str, Any]:
    """Bucket sizes and hit counts of :func:`worker_cache`, plus feature-store builds (for ``client.run``)."""
    c = worker_cache()
    stores = c.values("signals.features")
    return {**c.info(), "feature_builds": sum(s.builds for s in stores), "feature_stores": len(stores)}


def run_trial(trial: int, params: dict[str, Any], data: MarketData, base_doc: dict[str, Any],
              spec: SweepSpec, source: str) -> list[dict[str, Any]]:  # fmt: skip
    """Backtest one parameter set under every cost pair; one row per pair (picklable for Dask).

    Runs inside :func:`worker_cache`, so trials in one process reuse each other's signal features.
    """
    with worker_cache():
        return _run_trial(trial, params, data, base_doc, spec, source)


def _run_trial(trial: int, params: dict[str, Any], data: MarketData, base_doc: dict[str, Any],
               spec: SweepSpec, source: str) -> list[dict[str, Any]]:  # fmt: skip
    from indexer.strategy import Strategy

    doc = apply_overrides(base_doc, params)
    doc["name"] = f"{base_doc.get('name', 'strategy')}-{trial}"
    strat = Strategy.from_dict(doc, source=f"{source} (sweep trial {trial}: {params})")
    reb = strat.spec.rebalance
    start = pd.Timestamp(spec.start, tz="UTC") if spec.start else None
    end = pd.Timestamp(spec.end, tz="UTC") if spec.end else None
    costs = CostModel(taker_fee=spec.costs.fees[0], slippage=spec.costs.slippage[0])
    plan = walk_forward(strat, data, start=start, end=end, costs=costs, init_cash=spec.init_cash,
                        drift_abs=reb.drift_abs, drift_rel=reb.drift_rel)  # fmt: skip
    close = data.close.loc[plan.index[0] : plan.index[-1]]
    value, paid = simulate_cost_grid(close, plan.size, spec.costs.fees, spec.costs.slippage, init_cash=spec.init_cash)
    traded = pd.Series([d["traded"] for d in plan.decisions[1:]], dtype=float)
    rows = []
    for pair in value.columns:
        eq = value[pair]
        st = compute_stats(eq, n_rebalances=len(plan.decisions))
        sr_d, sk, ku, n = _moments(eq)
        rows.append(
            {
                **params,
                "trial": trial, "fees": pair[0], "slippage": pair[1],
                **{k: st[k] for k in ("cagr", "volatility", "sharpe", "sortino", "calmar", "max_drawdown",
                                      "max_drawdown_duration_days", "n_rebalances", "final_value")},
                "turnover_annual": turnover_annual(traded, st["days"]),
                "fees_paid": float(paid.loc[pair, "fees_paid"]), "slippage_paid": float(paid.loc[pair, "slippage_paid"]),
                "sharpe_daily": sr_d, "skew": sk, "kurtosis": ku, "n_obs": n,
            }
        )  # fmt: skip
    return rows


def _rank(rows: list[dict[str, Any]], spec: SweepSpec, param_keys: list[str]) -> tuple[pd.DataFrame, float]:
    df = pd.DataFrame(rows).sort_values(["trial", "fees", "slippage"], kind="mergesort").reset_index(drop=True)
    dsr, sr0 = deflated_sharpe(df["sharpe_daily"], df["n_obs"], df["skew"], df["kurtosis"])
    df["deflated_sharpe"] = dsr
    df = df[[*param_keys, *RESULT_COLUMNS]]
    df = df.sort_values(spec.metric, ascending=spec.metric in LOWER_IS_BETTER, kind="mergesort", na_position="last")
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df.set_index("rank"), sr0


def run_sweep(
    sweep: str | Path | tuple[SweepSpec, Path],
    data: MarketData | None = None,
    *,
    scheduler: str | None = None,
    progress: bool = True,
    on_result: Callable[[int, int], None] | None = None,
    connect_timeout: float = 30.0,
    worker_info: dict[str, Any] | None = None,
) -> SweepResult:
    """Run every trial of a sweep file, locally or on the Dask scheduler at ``scheduler``.

    Parameters
    ----------
    sweep
        Sweep YAML path (or an already loaded ``(spec, strategy_path)``).
    data
        Market data (default :func:`indexer.data.load_reference`).
    scheduler
        ``tcp://HOST:8786`` of a running Dask scheduler (any number of machines), ``"local:N"`` to start a
        Dask ``LocalCluster`` of N worker processes on 127.0.0.1 for this sweep, or ``None`` to run in this
        process.  Each worker gets the data once and keeps its signal features across its trials.
    progress
        Show a rich progress bar.
    connect_timeout
        Seconds to wait for the scheduler before a :class:`ConfigError`.
    worker_info
        When given (Dask only), filled with each worker's :func:`worker_cache_info` after the sweep.
    """
    spec, strat_path = load_sweep(sweep) if not isinstance(sweep, tuple) else sweep
    if data is None:
        from indexer.data import load_reference

        data = load_reference()
    base = yaml.safe_load(strat_path.read_text())
    base.setdefault("name", strat_path.stem)
    combos = expand_params(spec)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("sweep {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   disable=not progress, transient=False)  # fmt: skip
    rows: list[dict[str, Any]] = []
    with bar:
        where = f"dask {scheduler}" if scheduler else "local"
        task = bar.add_task(f"{strat_path.name} ({where})", total=len(combos))
        if scheduler is None:
            for i, params in enumerate(combos):
                rows.extend(run_trial(i, params, data, base, spec, str(strat_path)))
                bar.advance(task)
                if on_result:
                    on_result(i + 1, len(combos))
        else:
            from dask.distributed import Client, as_completed

            cluster = None
            try:
                if scheduler.startswith("local:"):  # a LocalCluster of N single-threaded worker processes
                    from dask.distributed import LocalCluster

                    cluster = LocalCluster(n_workers=int(scheduler.split(":", 1)[1]), threads_per_worker=1,
                                           processes=True, host="127.0.0.1", dashboard_address=None)  # fmt: skip
                    client = Client(cluster, timeout=connect_timeout)
                else:
                    client = Client(scheduler, timeout=connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise ConfigError(
                    f"cannot reach the Dask scheduler at {scheduler} within {connect_timeout:g} s "
                    f"({type(exc).__name__}: {exc}); start one with `dask scheduler` or drop --scheduler"
                ) from None
            try:
                with client:
                    fut_data = client.scatter(data, broadcast=True)  # once per worker, reused by every trial there
                    futures = [client.submit(run_trial, i, p, fut_data, base, spec, str(strat_path), pure=False)
                               for i, p in enumerate(combos)]  # fmt: skip
                    for k, fut in enumerate(as_completed(futures), 1):
                        rows.extend(fut.result())
                        bar.advance(task)
                        if on_result:
                            on_result(k, len(combos))
                    if worker_info is not None:
                        worker_info.update(client.run(worker_cache_info))
            finally:
                if cluster is not None:
                    cluster.close()
    table, sr0 = _rank(rows, spec, list(spec.params))
    return SweepResult(table=table, spec=spec, n_trials=len(table), sr0_annual=float(sr0 * np.sqrt(365.0)))
