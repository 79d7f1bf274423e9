"""Plots of the research results (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from indexer.research.era_report import EraStudy

__all__ = ["plot_eras"]


def plot_eras(study: EraStudy, path: str | Path, horizon: int = 30) -> Path:
    """One panel per era: mean IC at ``horizon`` days per signal with its Newey-West 95 % CI (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(study.results)
    fig, axes = plt.subplots(1, n, figsize=(5 * n, 5), sharey=True, squeeze=False)
    for ax, ev in zip(axes[0], study.results, strict=True):
        t = ev.ic.xs(horizon, level="h")
        y = np.arange(len(t))
        err = np.vstack([t["IC"] - t["ci_lo"], t["ci_hi"] - t["IC"]])
        ax.errorbar(t["IC"], y, xerr=np.nan_to_num(err), fmt="o", capsize=3)
        ax.axvline(0, color="k", lw=0.5)
        ax.set_yticks(y, t.index)
        ax.set_title(f"{ev.era.label}\nIC {horizon}d, 95% CI (Newey-West)", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
