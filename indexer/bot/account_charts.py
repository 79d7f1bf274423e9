"""A picture of the account: value over time from the balance snapshots, current vs target weights."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["plot_status"]


def plot_status(status: Mapping[str, Any], values: pd.Series, path: str | Path) -> Path:
    """Write a PNG: portfolio value (quote units, UTC) and current vs target weights (fractions)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [3, 2]})
    if len(values):
        ax1.step(values.index, values.to_numpy(), where="post", color="tab:blue")
        ax1.scatter(values.index, values.to_numpy(), s=12, color="tab:blue")
        span = values.index[-1] - values.index[0]
        pad = max(span * 0.05, pd.Timedelta(hours=1))
        ax1.set_xlim(values.index[0] - pad, values.index[-1] + pad)
        ax1.annotate(f"{values.iloc[-1]:,.2f}", (values.index[-1], values.iloc[-1]), textcoords="offset points",
                     xytext=(-6, 6), ha="right")
    locator = matplotlib.dates.AutoDateLocator()
    ax1.xaxis.set_major_locator(locator)
    ax1.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(locator))
    ax1.ticklabel_format(axis="y", useOffset=False, style="plain")
    ax1.set_title(f"{status['account']}: portfolio value at each snapshot (UTC)")
    ax1.set_ylabel("value (quote currency)")
    ax1.grid(alpha=0.3)
    cur, tgt = dict(status.get("current_weights") or {}), dict(status.get("target_weights") or {})
    assets = sorted(set(cur) | set(tgt), key=lambda a: (a == "CASH", -tgt.get(a, 0.0), a))
    assets = [a for a in assets if abs(cur.get(a, 0.0)) > 1e-9 or abs(tgt.get(a, 0.0)) > 1e-9]
    y = range(len(assets))
    ax2.barh([i + 0.2 for i in y], [tgt.get(a, 0.0) for a in assets], height=0.4, label="target", color="tab:gray")
    ax2.barh([i - 0.2 for i in y], [cur.get(a, 0.0) for a in assets], height=0.4, label="current", color="tab:blue")
    ax2.set_yticks(list(y), assets)
    ax2.invert_yaxis()
    ax2.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax2.set_title("weights: current vs target")
    ax2.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
