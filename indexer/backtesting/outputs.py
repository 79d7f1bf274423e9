"""One call from a strategy file to a written report: what ``indexer demo`` and ``backtests/`` use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.backtesting.engine import backtest, load_strategy
from indexer.backtesting.result import BacktestResult

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["run_and_report", "write_outputs"]


def write_outputs(result: BacktestResult, out_dir: str | Path, *, html: bool = True, png: bool = True) -> dict[str, Path]:
    """Write CSVs, ``stats.json``, ``report.html`` and PNG charts of ``result`` to ``out_dir``."""
    from indexer.backtesting.report import write_html, write_pngs

    out = Path(out_dir)
    paths = result.save(out)
    if png:
        paths.update(write_pngs(result, out))
    if html:
        paths["report"] = write_html(result, out / "report.html")
    return paths


def run_and_report(
    strategy_path: str | Path,
    out_dir: str | Path,
    data: MarketData | None = None,
    *,
    progress: bool = False,
    overwrite: bool = True,
    **kwargs: Any,
) -> tuple[BacktestResult, dict[str, Path]]:
    """Backtest a strategy file on ``data`` (default: :func:`indexer.data.load_reference`) and write every output.

    The folder is written atomically with its ``run.json`` manifest
    (:func:`indexer.backtesting.outdir.write_run`).

    Parameters
    ----------
    strategy_path
        Strategy YAML.
    out_dir
        Directory for ``weights.csv``, ``equity.csv``, ``stats.json``, ``report.html``, the PNGs and ``run.json``.
    overwrite
        Replace ``out_dir`` when it holds files (default); ``False`` refuses such a folder
        (``ConfigError``) before anything is written.
    data
        Market data; loaded from the reference cache when ``None``.
    kwargs
        Passed to :func:`indexer.backtesting.backtest` (``start``, ``end``, ``fees``, ``costs``, ...).

    Returns
    -------
    (BacktestResult, dict of output name -> path)
    """
    if data is None:
        from indexer.data import load_reference

        data = load_reference()
    strategy = load_strategy(strategy_path)
    from indexer.backtesting.outdir import check_out_dir, write_run

    check_out_dir(Path(out_dir).expanduser(), overwrite=overwrite)  # refuse before the backtest runs
    result = backtest(strategy, data, progress=progress, **kwargs)
    return result, write_run(result, out_dir, data=data, overwrite=overwrite)
