"""Probability of backtest overfitting by combinatorially symmetric cross-validation (CSCV).

Bailey, Borwein, Lopez de Prado & Zhu (2015): split the T x N matrix of
per-period returns of N tried configurations into S equal time blocks; for
every choice of S/2 blocks as in-sample (IS) and the rest as out-of-sample
(OOS), pick the configuration with the best IS Sharpe and find the relative
rank ``w`` of its OOS Sharpe among all N (in (0, 1)); ``logit = ln(w / (1 - w))``.
PBO is the share of combinations with ``logit <= 0`` (the IS winner is at or
below the OOS median).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from indexer.exceptions import ConfigError

__all__ = ["pbo_cscv"]


def _sharpe_cols(block_sum: np.ndarray, block_sq: np.ndarray, block_n: np.ndarray) -> np.ndarray:
    n = block_n.sum()
    mean = block_sum.sum(axis=0) / n
    var = (block_sq.sum(axis=0) - n * mean * mean) / max(n - 1, 1)
    sd = np.sqrt(np.maximum(var, 0.0))
    return np.where(sd > 0, mean / np.where(sd > 0, sd, 1.0), -np.inf)


def pbo_cscv(returns: pd.DataFrame, n_blocks: int = 16) -> dict[str, object]:
    """PBO of the configurations in the columns of ``returns`` (rows in time order, NaN rows dropped).

    Returns
    -------
    dict with ``pbo`` (fraction), ``logits`` (array, one per combination),
    ``n_combinations``, ``n_configs``, ``n_blocks`` and ``degradation`` (slope of
    OOS on IS Sharpe of the IS winners; negative = IS success does not carry over).
    """
    r = returns.dropna(how="any")
    if n_blocks < 2 or n_blocks % 2:
        raise ConfigError(f"n_blocks must be an even number >= 2; got {n_blocks}")
    if r.shape[1] < 2:
        raise ConfigError(f"PBO needs at least 2 configurations; got {r.shape[1]}")
    if len(r) < 2 * n_blocks:
        raise ConfigError(f"PBO needs at least {2 * n_blocks} rows without NaN for {n_blocks} blocks; got {len(r)}")
    x = r.to_numpy(dtype="float64")
    edges = np.linspace(0, len(x), n_blocks + 1).astype(int)
    bsum = np.array([x[a:b].sum(axis=0) for a, b in zip(edges[:-1], edges[1:], strict=True)])
    bsq = np.array([(x[a:b] ** 2).sum(axis=0) for a, b in zip(edges[:-1], edges[1:], strict=True)])
    bn = np.diff(edges).astype(float)
    logits, is_best, oos_best = [], [], []
    n_cfg = x.shape[1]
    for combo in combinations(range(n_blocks), n_blocks // 2):
        ins = np.zeros(n_blocks, dtype=bool)
        ins[list(combo)] = True
        sr_is = _sharpe_cols(bsum[ins], bsq[ins], bn[ins])
        sr_oos = _sharpe_cols(bsum[~ins], bsq[~ins], bn[~ins])
        best = int(np.argmax(sr_is))
        rank = (sr_oos < sr_oos[best]).sum() + 0.5 * ((sr_oos == sr_oos[best]).sum() - 1) + 1  # 1..N, ties averaged
        w = rank / (n_cfg + 1.0)
        logits.append(np.log(w / (1.0 - w)))
        is_best.append(sr_is[best])
        oos_best.append(sr_oos[best])
    lg = np.asarray(logits)
    slope = float(np.polyfit(is_best, oos_best, 1)[0]) if np.ptp(is_best) > 0 else float("nan")
    return {
        "pbo": float((lg <= 0).mean()),
        "logits": lg,
        "n_combinations": len(lg),
        "n_configs": n_cfg,
        "n_blocks": n_blocks,
        "degradation": slope,
    }
