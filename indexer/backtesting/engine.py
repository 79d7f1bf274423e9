"""``backtest()``: walk forward through the data, ask the strategy, simulate on vectorbt, measure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer._typing import CASH, StrategyLike
from indexer.backtesting import bench_store, feature_disk
from indexer.backtesting.benchmarks import BENCHMARK_SPECS, HOLD_BENCHMARKS, benchmark_strategy
from indexer.backtesting.costs import CostModel
from indexer.backtesting.metrics import compute_stats, stat_warnings
from indexer.backtesting.preconditions import cash_decisions, check_backtest_inputs
from indexer.backtesting.result import BacktestResult
from indexer.backtesting.simulate import simulate
from indexer.backtesting.walk import Execution, walk_forward
from indexer.data.market import to_utc
from indexer.exceptions import ConfigError, IndexerError
from indexer.runcache import active, run_scope, scoped

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["backtest", "attach_benchmarks", "load_strategy", "DEFAULT_BENCHMARKS", "DEFAULT_INIT_CASH"]

DEFAULT_BENCHMARKS = tuple(BENCHMARK_SPECS)
DEFAULT_INIT_CASH = 100_000.0
#: Run-cache bucket of benchmark results, keyed by name, data fingerprint, period, costs, cash and execution.
_BENCHMARKS = "backtest.benchmarks"


def data_fingerprint(data: MarketData) -> tuple:
    """Content identity of ``data``: shapes, bounds, sums of every panel and sentiment input, asset kinds."""
    from indexer.strategy.replay import fingerprint

    reg = data.assets
    kinds = tuple((a, reg.kind(a)) for a in data.close.columns) if reg is not None else ()
    return (*fingerprint(data), kinds)


def load_strategy(strategy: StrategyLike | str | Path) -> StrategyLike:
    """Return a strategy object from itself or a YAML path."""
    if isinstance(strategy, (str, Path)):
        from indexer.strategy import Strategy

        return Strategy.from_yaml(strategy)
    if not isinstance(strategy, StrategyLike):
        raise ConfigError(
            f"backtest needs a strategy (target, rebalance_dates, lookback, name) or a YAML path, "
            f"got {type(strategy).__name__}"
        )
    return strategy


def _strategy_text(strategy: Any) -> str:
    src = getattr(strategy, "source", None)
    if isinstance(src, str) and src and not src.startswith("<") and Path(src).is_file():
        return Path(src).read_text()
    spec = getattr(strategy, "spec", None)
    if spec is not None and hasattr(spec, "model_dump"):
        import yaml

        return yaml.safe_dump(spec.model_dump(mode="json", exclude_defaults=True), sort_keys=False)
    return ""


def _drift(strategy: Any, drift_abs: float | None, drift_rel: float | None) -> tuple[float | None, float | None]:
    reb = getattr(getattr(strategy, "spec", None), "rebalance", None)
    if drift_abs is None and reb is not None:
        drift_abs = getattr(reb, "drift_abs", None)
    if drift_rel is None and reb is not None:
        drift_rel = getattr(reb, "drift_rel", None)
    return drift_abs, drift_rel


def _to_utc(t: Any) -> pd.Timestamp | None:
    return None if t is None else to_utc(t)


def _target_table(targets: list[Any], cols: list[str]) -> pd.DataFrame:
    """Target weights per decision (rows ``as_of``, UTC) over ``cols``; columns never targeted dropped (CASH kept)."""
    at = {c: j for j, c in enumerate(cols)}
    values = np.zeros((len(targets), len(cols)))
    for k, tp in enumerate(targets):
        values[k, [at[a] for a in tp.weights.index]] = tp.weights.to_numpy()
    keep = (values != 0).any(axis=0)
    keep[at[CASH]] = True
    return pd.DataFrame(values[:, keep], index=pd.DatetimeIndex([tp.as_of for tp in targets], name="timestamp"),
                        columns=pd.Index([c for c, k in zip(cols, keep, strict=True) if k], name="asset"))


def _run_one(strategy: StrategyLike, data: MarketData, *, progress: bool, stats: bool = True, **walk: Any) -> BacktestResult:
    """Simulate one walk-forward run and pack it as a result.

    ``walk`` are :func:`walk_forward`'s keywords (``start``, ``end``, ``costs``, ``init_cash``,
    ``execution``, ``drift_abs``, ``drift_rel``, ``hold``, ``history``).
    """
    bar = None
    if progress:
        from rich.progress import Progress

        bar = Progress(transient=True)
        task = bar.add_task(f"backtest {strategy.name}", total=1)
        bar.start()

    def on_step(i: int, n: int) -> None:
        if bar is not None and (i % 10 == 0 or i == n - 1):
            bar.update(task, total=n, completed=i + 1)

    try:
        plan = walk_forward(strategy, data, **walk, on_step=on_step if bar is not None else None)
    finally:
        if bar is not None:
            bar.stop()
    close = data.close.loc[plan.index[0] : plan.index[-1]]
    costs: CostModel = walk["costs"]
    sim = simulate(close, plan.size, plan.slippage, fee=costs.fee, init_cash=walk["init_cash"])
    weights = _target_table(plan.targets, [*data.close.columns, CASH])
    holdings = sim.holdings.loc[:, (sim.holdings.abs() > 1e-12).any(axis=0) | (sim.holdings.columns == CASH)]
    equity = sim.equity
    n_reb = len(plan.decisions)
    # ``stats=False``: the caller (``backtest``) computes them once, with the benchmark, in attach_benchmarks
    stats_d = compute_stats(equity, orders=sim.orders, holdings=holdings, n_rebalances=n_reb) if stats else {"n_rebalances": n_reb}
    return BacktestResult(
        name=strategy.name,
        weights=weights,
        holdings=holdings,
        equity=equity,
        returns=equity.pct_change().fillna(0.0).rename("returns"),
        stats=stats_d,
        orders=sim.orders,
        decisions=pd.DataFrame(plan.decisions),
        targets=plan.targets,
        settings={
            "costs": costs.to_dict(),
            "execution": walk.get("execution", "next_close"),
            "drift_abs": walk.get("drift_abs"),
            "drift_rel": walk.get("drift_rel"),
            "init_cash": walk["init_cash"],
            "start": equity.index[0].isoformat(),
            "end": equity.index[-1].isoformat(),
            "hold": walk.get("hold", False),
            "history": walk.get("history"),
        },
        strategy_text=_strategy_text(strategy),
        provenance=dict(getattr(data, "provenance", {}) or {}),
        portfolio=sim.portfolio,
    )


def backtest(
    strategy: StrategyLike | str | Path,
    data: MarketData,
    *,
    start: Any = None,
    end: Any = None,
    fees: float = 0.001,
    slippage: float = 0.0005,
    init_cash: float = DEFAULT_INIT_CASH,
    costs: CostModel | None = None,
    benchmark: str | None = "btc",
    benchmarks: Iterable[str] | bool = True,
    execution: Execution = "next_close",
    drift_abs: float | None = None,
    drift_rel: float | None = None,
    hold: bool = False,
    history: int | None = None,
    progress: bool = False,
) -> BacktestResult:
    """Walk-forward backtest of ``strategy`` on ``data``, simulated with vectorbt.

    At every decision bar t (the first bar of the period, the strategy's
    ``rebalance_dates`` and, when set, drift-band breaches) the strategy gets
    ``data.until(t)`` only, plus the drifted weights it holds; its target is
    traded at the **close of the next bar** t+1 (``execution="next_close"``;
    ``"same_close"`` trades at the close of t and exists to measure look-ahead).

    Parameters
    ----------
    strategy
        A :class:`~indexer._typing.StrategyLike` or a strategy YAML path.
    data
        Market data; history before ``start`` feeds the strategy's lookback.
    start, end
        Period (UTC dates); the first decision is at ``start`` or once ``strategy.lookback`` bars exist.
    fees, slippage
        Taker fee and fixed slippage (fractions of notional); ignored when ``costs`` is given.
    init_cash
        Starting capital (USD), all in CASH before the first fill.
    costs
        Full :class:`CostModel` (maker/taker fees, market impact, minimum trade notional).
    benchmark
        Benchmark for tracking error and information ratio (a name of :data:`DEFAULT_BENCHMARKS`).
    benchmarks
        Benchmarks to run beside the strategy (``True``: all four standard ones; ``False``: none).
    execution
        ``"next_close"`` (default) or ``"same_close"``.
    drift_abs, drift_rel
        Drift bands (absolute / relative to target weight); default from ``strategy.spec.rebalance``.
    hold
        Decide once and hold (buy and hold).
    history
        Show the strategy only the last ``history`` bars at each decision (``None``: all rows
        up to the decision).  Faster for long backtests; equal results only when the strategy
        needs no more than that (its ``lookback`` is a lower bound, path-dependent models may need all).
    progress
        Show a rich progress bar.

    Returns
    -------
    BacktestResult
    """
    strat = load_strategy(strategy)
    if execution not in ("next_close", "same_close"):
        raise ConfigError(f"execution {execution!r}: expected 'next_close' or 'same_close'")
    cm = costs if costs is not None else CostModel(taker_fee=fees, slippage=slippage)
    d_abs, d_rel = _drift(strat, drift_abs, drift_rel)
    s, e = _to_utc(start), _to_utc(end)
    prepare = getattr(strat, "prepare_data", None)  # e.g. snapshot prices for universe.missing_prices
    check_backtest_inputs(data, start=s, end=e, init_cash=init_cash, benchmark=benchmark, known_benchmarks=DEFAULT_BENCHMARKS)
    stored = scoped() is None  # a caller's own ``with RunCache():`` block keeps the run to itself: no disk
    with run_scope():
        return _backtest(strat, data, s, e, cm, init_cash, execution, d_abs, d_rel, hold, progress, history,
                         benchmark, benchmarks, strat_data=prepare(data) if callable(prepare) else data,
                         stored_features=stored)  # fmt: skip


def _backtest(strat: StrategyLike, data: MarketData, s: pd.Timestamp | None, e: pd.Timestamp | None, cm: CostModel,
              init_cash: float, execution: Execution, d_abs: float | None, d_rel: float | None, hold: bool,
              progress: bool, history: int | None, benchmark: str | None,
              benchmarks: Iterable[str] | bool, *, strat_data: MarketData, stored_features: bool = False
              ) -> BacktestResult:  # fmt: skip
    """Run the strategy on ``strat_data`` (its prepared data) and the benchmarks on ``data``; stats once per result.

    ``stored_features``: read and write the signals' feature stores on disk (:mod:`indexer.backtesting.feature_disk`).
    """
    restored = feature_disk.restore(strat, strat_data) if stored_features else None  # an earlier process's signals
    result = _run_one(
        strat, strat_data, start=s, end=e, costs=cm, init_cash=init_cash, execution=execution,
        drift_abs=d_abs, drift_rel=d_rel, hold=hold, progress=progress, history=history, stats=False,
    )  # fmt: skip
    feature_disk.persist(restored, strat_data)
    names = list(DEFAULT_BENCHMARKS) if benchmarks is True else list(benchmarks or [])
    errors: dict[str, str] = {}
    first = result.equity.index[0]
    fp = data_fingerprint(data) if names else None
    ref = benchmark if benchmark in names else None  # stats depend on the reference actually run
    cache = active()
    entries: dict[str, tuple[tuple, tuple[BacktestResult, dict[Any, dict[str, Any]]]]] = {}
    final: dict[int, dict[str, Any]] = {}
    for name in names:
        key = (name, fp, first.value, None if e is None else e.value, repr(sorted(cm.to_dict().items())), init_cash, execution)
        entry = cache.get(_BENCHMARKS, key)
        if entry is None:
            entry = bench_store.load(key)  # another process ran it on the same data and settings
            if entry is not None:
                cache.put(_BENCHMARKS, key, entry)
        if entry is None:
            try:
                run = _run_one(benchmark_strategy(name), data, start=first, end=e, costs=cm, init_cash=init_cash,
                               execution=execution, drift_abs=None, drift_rel=None, hold=name in HOLD_BENCHMARKS,
                               progress=False, stats=False)  # fmt: skip
            except IndexerError as exc:
                errors[name] = f"{type(exc).__name__}: {exc}"
                continue
            entry = cache.put(_BENCHMARKS, key, (run, {}))  # (result, stats per reference benchmark)
        entries[name] = (key, entry)
        res_b = replace(entry[0], stats=dict(entry[1].get(ref, entry[0].stats)), benchmarks={})
        if ref in entry[1]:
            final[id(res_b)] = res_b.stats
        result.benchmarks[name] = res_b
    if errors:
        result.settings["benchmark_errors"] = errors
    attach_benchmarks(result, result.benchmarks, data, benchmark=benchmark, _final=final)
    for name, (key, entry) in entries.items():  # stats are computed once per benchmark result and reference
        if name in result.benchmarks and ref not in entry[1]:
            entry[1][ref] = dict(result.benchmarks[name].stats)
            bench_store.save(key, entry)
    result.settings["stat_warnings"] = stat_warnings(result.stats)
    result.settings["cash_decisions"] = cash_decisions(result.decisions)
    return result


def attach_benchmarks(
    result: BacktestResult, benchmarks: dict[str, BacktestResult], data: MarketData, *, benchmark: str | None = "btc",
    _final: dict[int, dict[str, Any]] | None = None,
) -> BacktestResult:
    """Set ``result.benchmarks`` (results run on the same period and costs) and recompute every stat.

    The stats gain tracking error / information ratio against ``benchmark`` and beta to BTC;
    returns ``result``.
    """
    result.benchmarks = dict(benchmarks)
    btc = data.close["BTC"] if "BTC" in data.close.columns else None
    bench = result.benchmarks.get(benchmark) if benchmark else None
    for r in [result, *result.benchmarks.values()]:
        if _final and id(r) in _final:  # already computed against this reference (a cached benchmark)
            continue
        r.stats = compute_stats(
            r.equity, orders=r.orders, holdings=r.holdings, n_rebalances=r.stats["n_rebalances"],
            benchmark=bench.equity if bench is not None and r is not bench else None,
            benchmark_name=benchmark if bench is not None else None, btc=btc,
        )  # fmt: skip
    return result
