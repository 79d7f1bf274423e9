"""The main charts as PNG files (matplotlib, Agg backend): equity, drawdown, weights, monthly returns."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.backtesting.benchmarks import BENCHMARK_LABELS

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from indexer.backtesting.result import BacktestResult

__all__ = ["write_pngs"]


def _save(fig: Figure, path: Path, dpi: int) -> Path:
    """Lay out, write and close ``fig``; returns ``path``."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def write_pngs(res: BacktestResult, out_dir: str | Path, dpi: int = 110) -> dict[str, Path]:
    """Write ``equity.png``, ``drawdown.png``, ``weights.png`` and ``monthly.png``; returns the paths."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    label = lambda n: n if n == res.name else BENCHMARK_LABELS.get(n, n)  # noqa: E731

    fig, ax = plt.subplots(figsize=(10, 5))
    for i, (name, s) in enumerate(res.equity_table(normalise=True).items()):
        ax.plot(s.index, s.to_numpy(), label=label(name), lw=2.2 if i == 0 else 1.0)
    ax.set_yscale("log")
    ax.set_title(f"{res.name}: growth of 1 USD (log scale)")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    paths["equity_png"] = _save(fig, out / "equity.png", dpi)

    fig, ax = plt.subplots(figsize=(10, 3.5))
    for i, (name, s) in enumerate(res.equity_table(normalise=False).items()):
        dd = s / s.cummax() - 1.0
        if i == 0:
            ax.fill_between(dd.index, dd.to_numpy(), 0, alpha=0.4, label=label(name))
        else:
            ax.plot(dd.index, dd.to_numpy(), lw=0.8, label=label(name))
    ax.set_title("Drawdown")
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    paths["drawdown_png"] = _save(fig, out / "drawdown.png", dpi)

    h = res.holdings.clip(lower=0.0)
    h = h[h.mean().sort_values(ascending=False).index]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    colors = [plt.cm.tab20(i % 20) for i in range(len(h.columns))]
    ax.stackplot(h.index, h.T.to_numpy(), labels=list(h.columns), colors=colors)
    ax.set_ylim(0, 1)
    ax.set_title("Weights held")
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, ncol=1 + len(h.columns) // 25)
    paths["weights_png"] = _save(fig, out / "weights.png", dpi)

    m = res.monthly_returns
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(m) + 1.2))
    z = m.to_numpy()
    lim = np.nanmax(np.abs(z)) if np.isfinite(z).any() else 1.0
    ax.imshow(np.ma.masked_invalid(z), cmap="RdYlGn", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_xticks(range(12), ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])
    ax.set_yticks(range(len(m)), [str(y) for y in m.index])
    for (i, j), v in np.ndenumerate(z):
        if np.isfinite(v):
            ax.text(j, i, f"{v * 100:.0f}%", ha="center", va="center", fontsize=7)
    ax.set_title("Monthly returns")
    paths["monthly_png"] = _save(fig, out / "monthly.png", dpi)
    return paths
