"""Inputs and outputs of one optimiser call: :class:`WeighContext` and :class:`WeighResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer._typing import CASH, as_float_series
from indexer.exceptions import OptimisationError

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.registry import AssetRegistry

__all__ = ["WeighContext", "WeighResult", "finalise_weights"]


@dataclass(frozen=True)
class WeighContext:
    """Point-in-time inputs of one weighting decision.

    Parameters
    ----------
    assets
        Eligible symbols (without ``CASH``), in the order weights are reported.
    returns
        Window of daily simple returns (rows UTC days up to the decision,
        columns at least ``assets``).  Needed by risk-based objectives.
    scores
        Expected-return-like scores by asset (higher = more attractive), read
        as annual fractions by ``mean_variance`` and ``max_sharpe``.
    market_cap
        Latest market capitalisation by asset (USD).
    volume
        Average daily traded volume by asset (USD), for the liquidity cap.
    previous
        Weights held before this decision, including ``CASH``.
    registry
        Asset registry (themes, kinds) for theme caps and stablecoin bounds.
    portfolio_value
        Portfolio value (USD), for the liquidity cap.
    benchmark
        Benchmark weights for ``min_tracking_error`` (default: cap weights).
    covariance
        Optional annualised covariance (DataFrame by asset) used instead of
        the spec's risk model.  It must be symmetric and positive semi-definite.
    covariance_repair
        ``"error"`` (default): a covariance with negative eigenvalues is an
        :class:`OptimisationError`; ``"nearest_psd"``: it is projected onto the
        nearest PSD matrix and the repair is recorded in the diagnostics
        (``covariance_repair``).
    """

    assets: tuple[str, ...]
    returns: pd.DataFrame | None = None
    scores: pd.Series | None = None
    market_cap: pd.Series | None = None
    volume: pd.Series | None = None
    previous: pd.Series | None = None
    registry: AssetRegistry | None = None
    portfolio_value: float | None = None
    benchmark: pd.Series | None = None
    covariance: pd.DataFrame | None = None
    covariance_repair: str = "error"
    index: pd.Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Check the assets and align every input to them (OptimisationError naming the field)."""
        assets = tuple(str(a) for a in self.assets)
        if not assets:
            raise OptimisationError("WeighContext.assets is empty: no eligible asset to weigh")
        if len(set(assets)) != len(assets):
            dup = sorted({a for a in assets if assets.count(a) > 1})
            raise OptimisationError(f"WeighContext.assets has duplicates: {dup}")
        if CASH in assets:
            raise OptimisationError(f"WeighContext.assets must not contain {CASH!r}; the cash line is implicit")
        if self.covariance_repair not in ("error", "nearest_psd"):
            raise OptimisationError(f"covariance_repair {self.covariance_repair!r}: expected 'error' or 'nearest_psd'")
        for name in ("returns", "covariance"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, pd.DataFrame):
                raise OptimisationError(
                    f"WeighContext.{name} must be a pandas DataFrame labelled by asset, got {type(v).__name__}"
                )
        object.__setattr__(self, "assets", assets)
        object.__setattr__(self, "index", pd.Index(assets, name="asset"))

    @property
    def n(self) -> int:
        """Number of assets."""
        return len(self.assets)

    def returns_matrix(self) -> np.ndarray:
        """Return the window of ``assets`` as a (T, n) array; missing days count as 0 return.

        Raises :class:`OptimisationError` when returns are absent, an asset is
        missing from them or has fewer than 2 observations.
        """
        if self.returns is None:
            raise OptimisationError("this objective needs a returns window (WeighContext.returns)")
        cols = set(self.returns.columns.tolist())
        missing = [a for a in self.assets if a not in cols]
        if missing:
            raise OptimisationError(f"returns window has no column for {missing}")
        if self.returns.columns.has_duplicates:
            dup = sorted({str(c) for c in self.returns.columns[self.returns.columns.duplicated()]})
            raise OptimisationError(f"returns window has duplicate columns {dup}")
        try:
            x = _columns(self.returns, self.index)
        except (TypeError, ValueError):
            bad = [a for a in self.assets if pd.to_numeric(self.returns[a], errors="coerce").isna().gt(self.returns[a].isna()).any()]
            raise OptimisationError(f"returns window holds values that are not numbers for {bad or 'some assets'}") from None
        nan = np.isnan(x)
        counts = len(x) - nan.sum(axis=0)
        if (counts < 2).any():
            short = [a for a, c in zip(self.assets, counts, strict=True) if c < 2]
            raise OptimisationError(
                f"returns window has fewer than 2 observations for {short} "
                f"({len(x)} rows); drop them from the universe or lengthen the window"
            )
        if np.isinf(x).any():
            bad = [a for a, b in zip(self.assets, np.isinf(x).any(axis=0), strict=True) if b]
            raise OptimisationError(f"returns window contains infinite values for {bad}")
        if nan.any():
            x[nan] = 0.0
        return x

    def covariance_matrix(self) -> np.ndarray | None:
        """Return the given covariance aligned to ``assets`` (None when not given); error naming gaps."""
        if self.covariance is None:
            return None
        cov = pd.DataFrame(self.covariance)
        missing = [a for a in self.assets if a not in cov.index or a not in cov.columns]
        if missing:
            raise OptimisationError(f"covariance has no row/column for {missing}")
        if cov.index.has_duplicates or cov.columns.has_duplicates:
            raise OptimisationError("covariance has duplicate asset labels")
        try:
            m = cov.loc[list(self.assets), list(self.assets)].to_numpy(dtype="float64")
        except (TypeError, ValueError):
            raise OptimisationError("covariance holds values that are not numbers") from None
        if not np.isfinite(m).all():
            bad = [a for a, b in zip(self.assets, ~np.isfinite(m).all(axis=0), strict=True) if b]
            raise OptimisationError(f"covariance contains missing or infinite values for {bad}")
        return m

    def series(self, name: str) -> pd.Series:
        """Field ``name`` (scores, market_cap, volume) aligned to ``assets``; error naming gaps."""
        s = getattr(self, name)
        if s is None:
            raise OptimisationError(f"this objective needs WeighContext.{name}")
        s = as_float_series(s)
        if not s.index.equals(self.index):
            s = s.reindex(self.index)
        ok = np.isfinite(s.to_numpy())
        if not ok.all():
            bad = [a for a, good in zip(self.assets, ok, strict=True) if not good]
            raise OptimisationError(f"WeighContext.{name} is missing or not finite for {bad}")
        return s

    @property
    def has_holdings(self) -> bool:
        """Whether previous weights hold anything besides CASH (else this is a first allocation)."""
        if self.previous is None:
            return False
        p = as_float_series(self.previous)
        risky = np.array([a != CASH for a in p.index.tolist()], dtype=bool)
        return bool((p.to_numpy()[risky] > 0).any())  # NaN counts as 0

    def previous_weights(self) -> tuple[np.ndarray, float, float]:
        """Previous weights as (assets array, CASH weight, weight in assets no longer eligible).

        Without previous weights: all in cash (a first purchase).
        """
        if self.previous is None:
            return np.zeros(self.n), 1.0, 0.0
        p = as_float_series(self.previous)
        v = np.nan_to_num(p.to_numpy(dtype="float64"), nan=0.0)
        total = float(v.sum())
        if total <= 0:
            return np.zeros(self.n), 1.0, 0.0
        v = v / total
        labels = p.index.tolist()
        at = {a: i for i, a in enumerate(labels)}
        if len(at) != len(labels):
            raise OptimisationError(f"previous weights name an asset twice: {sorted(set(p.index[p.index.duplicated()]))}")
        w = np.array([v[at[a]] if a in at else 0.0 for a in self.assets])
        cash = float(v[at[CASH]]) if CASH in at else 0.0
        known = set(self.assets) | {CASH}
        gone = float(v[[i for a, i in at.items() if a not in known]].sum())
        return w, cash, gone


def _columns(frame: pd.DataFrame, assets: pd.Index) -> np.ndarray:
    """Columns ``assets`` of ``frame`` as a fresh float64 array (fast when already in order)."""
    if frame.columns.equals(assets):
        return frame.to_numpy(dtype="float64", copy=True)
    return frame.to_numpy(dtype="float64")[:, frame.columns.get_indexer(assets)]


@dataclass(frozen=True)
class WeighResult:
    """Weights (by asset, incl. ``CASH``; >= 0; sum 1) and JSON-friendly diagnostics."""

    weights: pd.Series
    diagnostics: dict[str, Any] = field(default_factory=dict)


def finalise_weights(values: np.ndarray | pd.Series, assets: tuple[str, ...], cash: float = 0.0) -> pd.Series:
    """Clean solver output into a weights Series over ``assets`` + ``CASH``.

    Clips negatives down to 0 (raising if any is below ``-1e-6``), zeroes values
    below 1e-12, and rescales so the total, including cash, is exactly 1.
    """
    w = np.asarray(values, dtype="float64").reshape(-1)
    if len(w) != len(assets):
        raise OptimisationError(f"got {len(w)} weights for {len(assets)} assets")
    full = np.append(w, float(cash))
    if not np.isfinite(full).all():
        raise OptimisationError("optimiser produced non-finite weights")
    if (full < -1e-6).any():
        neg = {a: float(x) for a, x in zip([*assets, CASH], full, strict=True) if x < -1e-6}
        raise OptimisationError(f"optimiser produced negative weights {neg}")
    full = np.where(full < 1e-12, 0.0, full)
    total = full.sum()
    if total <= 0:
        raise OptimisationError("optimiser produced all-zero weights")
    return pd.Series(full / total, index=pd.Index([*assets, CASH], name="asset"), name="weight")
