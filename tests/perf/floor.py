"""The hand-written top-10 capped index in plain pandas + vectorbt: the floor of the research-loop benchmarks.

Importable without pytest, so ``python tests/perf/floor.py`` times the same index from a cold interpreter
(imports, the reference data, vectorbt's kernels): the floor of a cold ``indexer backtest``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FEE, SLIP, CASH0 = 0.001, 0.0005, 100_000.0


def _capped(w: np.ndarray, cap: float) -> np.ndarray:
    """Cap weights at ``cap``, handing the excess to the uncapped ones pro rata, until none exceeds it."""
    w = w / w.sum()
    fixed = np.zeros(len(w), dtype=bool)
    while (w > cap + 1e-12).any():
        fixed |= w > cap
        excess = 1.0 - cap * fixed.sum()
        free = w[~fixed]
        w = np.where(fixed, cap, w * excess / free.sum())
    return w


def floor_top10_capped(data, start: pd.Timestamp | None = None) -> pd.Series:
    """The top-10 capped index in plain pandas + vectorbt (see the module docstring); portfolio value (USD)."""
    import vectorbt as vbt

    close, cap = data.close, data.market_cap
    stable = set(data.assets.stablecoins())
    n_hist = close.notna().cumsum()
    last_cap = cap.ffill(limit=35)
    idx = close.index
    i0 = max(89, int(idx.searchsorted(start)) if start is not None else 0)
    sim = idx[i0:]
    month_first = pd.Series(sim, index=sim).groupby([sim.year, sim.month]).first()
    decide = sorted({sim[0], *month_first})
    size = pd.DataFrame(np.nan, index=sim, columns=close.columns)
    for t in decide:
        pos = sim.get_loc(t)
        if pos + 1 >= len(sim):
            break
        c = last_cap.loc[t]
        ok = close.loc[t].notna() & (n_hist.loc[t] >= 90) & c.notna() & ~close.columns.isin(stable)
        top = c[ok].sort_values(ascending=False, kind="mergesort").iloc[:10]
        row = pd.Series(0.0, index=close.columns)
        row[top.index] = _capped(top.to_numpy(), 0.25)
        size.iloc[pos + 1] = row.to_numpy()  # filled at the next bar's close
    pf = vbt.Portfolio.from_orders(close.loc[sim].ffill(), size, size_type="targetpercent", group_by=True,
                                   cash_sharing=True, call_seq="auto", fees=FEE, slippage=SLIP, init_cash=CASH0)  # fmt: skip
    return pf.value()


if __name__ == "__main__":
    from indexer.data import load_reference

    print(f"{floor_top10_capped(load_reference()).iloc[-1]:.2f}")
