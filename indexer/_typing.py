"""Central data types shared by every layer (see ARCHITECTURE.md, "Central data types").

* ``Panel``: a ``pd.DataFrame`` indexed by a UTC ``DatetimeIndex`` named
  ``timestamp`` with one ``float64`` column per asset (columns named ``asset``).
* :class:`TargetPortfolio`: what a strategy answers at ``as_of``.
* :class:`WeightCaps`: the upper bounds a strategy puts on its weights (per asset and per group),
  which execution respects when it moves weight (e.g. from an asset the exchange cannot trade).
* :class:`Holdings`, :class:`OrderIntent`, :class:`Fill`: the execution boundary,
  with quantities as :class:`~decimal.Decimal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias, runtime_checkable

import numpy as np
import pandas as pd

from indexer.exceptions import OptimisationError

__all__ = [
    "as_float_series",
    "Panel",
    "CASH",
    "WEIGHT_TOL",
    "TargetPortfolio",
    "WeightCaps",
    "Holdings",
    "OrderIntent",
    "Fill",
    "StrategyLike",
]

Panel: TypeAlias = pd.DataFrame

#: Name of the explicit cash / stablecoin line in every weights vector.  The
#: backtest holds it as vectorbt cash; execution maps it to the account's quote
#: currency (e.g. USDT).
CASH = "CASH"

#: Tolerance for weights: never negative beyond it, sum to 1 within it.
WEIGHT_TOL = 1e-9



def as_float_series(x: Any) -> pd.Series:
    """``x`` itself when it is already a float64 Series, else ``pd.Series(x, dtype="float64")`` (weights, caps...)."""
    return x if isinstance(x, pd.Series) and x.dtype == np.float64 else pd.Series(x, dtype="float64")

@dataclass(frozen=True)
class TargetPortfolio:
    """The portfolio a strategy wants at ``as_of`` (UTC), decided from data known then.

    Parameters
    ----------
    as_of
        UTC timestamp of the decision (the close of that bar).
    weights
        Fractions of portfolio value by asset, each >= 0, summing to 1, with an
        explicit :data:`CASH` line (0 when fully invested).
    diagnostics
        Free-form but JSON-friendly: solver, status, objective terms, fallback
        used, signal contributions, universe, overlays applied, compliance log.
    """

    as_of: pd.Timestamp
    weights: pd.Series
    diagnostics: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ts = pd.Timestamp(self.as_of)
        if ts.tzinfo is None:
            raise ValueError(f"TargetPortfolio.as_of must be UTC-aware, got naive {ts}")
        object.__setattr__(self, "as_of", ts.tz_convert("UTC"))
        w = as_float_series(self.weights)
        vals = w.to_numpy(dtype="float64", copy=True)
        index = w.index
        if CASH not in index.tolist():  # a list: hashing a new Arrow-backed string index costs more
            index, vals = index.append(pd.Index([CASH])), np.append(vals, 0.0)
        bad = ~np.isfinite(vals)
        if bad.any():
            raise OptimisationError(f"target weights are not finite for {list(index[bad])}")
        neg = vals < -1e-6
        if neg.any():
            raise OptimisationError(
                f"target weights must be >= 0; got {pd.Series(vals[neg], index=index[neg]).round(8).to_dict()}"
            )
        vals = np.maximum(vals, 0.0)
        total = float(vals.sum())
        if abs(total - 1.0) > 1e-6:
            raise OptimisationError(f"target weights must sum to 1 (with {CASH}); got {total:.10f}")
        w = pd.Series(vals / total, index=index.rename("asset"), name="weight")
        object.__setattr__(self, "weights", w)

    @property
    def invested(self) -> pd.Series:
        """Weights of the non-cash assets (fractions of portfolio value)."""
        return self.weights.drop(CASH)

    @property
    def cash(self) -> float:
        """Weight of the cash / stablecoin line (fraction)."""
        return float(self.weights[CASH])

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (ISO UTC time, weights as floats)."""
        return {
            "as_of": self.as_of.isoformat(),
            "weights": {k: float(v) for k, v in self.weights.items()},
            "diagnostics": dict(self.diagnostics),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TargetPortfolio:
        """Rebuild from :meth:`to_dict`."""
        return cls(pd.Timestamp(d["as_of"]), pd.Series(d["weights"], dtype="float64"), d.get("diagnostics") or {})


@dataclass(frozen=True)
class WeightCaps:
    """Upper bounds on portfolio weights (fractions of portfolio value), e.g. a strategy's own caps.

    Parameters
    ----------
    default
        Cap of every asset not in ``per_asset`` (1.0: none).
    per_asset
        Caps by asset (override ``default``).
    groups
        ``(name, members, cap)``: the summed weight of ``members`` may not exceed ``cap``
        (a theme or kind cap).
    """

    default: float = 1.0
    per_asset: Mapping[str, float] = field(default_factory=dict)
    groups: tuple[tuple[str, frozenset[str], float], ...] = ()

    def cap(self, asset: str) -> float:
        """Return the cap of ``asset`` alone (fraction)."""
        return float(self.per_asset.get(asset, self.default))

    @property
    def binding(self) -> bool:
        """Whether any cap is below 1 (else nothing can be over its cap)."""
        return (self.default < 1.0 or any(c < 1.0 for c in self.per_asset.values())
                or any(c < 1.0 for _, _, c in self.groups))

    def describe(self) -> str:
        """Short text, e.g. ``"30% per asset, group defi 25%"``."""
        parts = [f"{self.default:.0%} per asset"] if self.default < 1.0 else []
        parts += [f"{a} {c:.0%}" for a, c in sorted(self.per_asset.items())]
        parts += [f"group {n} {c:.0%}" for n, _, c in self.groups]
        return ", ".join(parts) or "no caps"


@dataclass(frozen=True)
class Holdings:
    """Balances of an account: free + used quantities per currency (``Decimal``)."""

    balances: Mapping[str, Decimal]
    quote: str = "USDT"
    as_of: pd.Timestamp | None = None

    def quantity(self, currency: str) -> Decimal:
        """Total quantity held of ``currency`` (0 when absent)."""
        return Decimal(self.balances.get(currency, Decimal(0)))


@dataclass(frozen=True)
class OrderIntent:
    """One order to place: ``amount`` in base units, ``price`` in quote units (limit only)."""

    symbol: str
    side: Literal["buy", "sell"]
    amount: Decimal
    type: Literal["market", "limit"] = "market"
    price: Decimal | None = None
    client_order_id: str | None = None
    leg: str = ""


@dataclass(frozen=True)
class Fill:
    """An execution: ``amount`` base units at ``price`` quote units, ``fee`` in ``fee_currency``."""

    symbol: str
    side: Literal["buy", "sell"]
    amount: Decimal
    price: Decimal
    fee: Decimal = Decimal(0)
    fee_currency: str = ""
    order_id: str = ""
    client_order_id: str | None = None
    timestamp: pd.Timestamp | None = None


if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData


@runtime_checkable
class StrategyLike(Protocol):
    """What the backtest, the bot and notebooks need from a strategy.

    ``target(data, as_of, previous=None)`` must use only rows of ``data`` up to
    ``as_of``; ``previous`` is the portfolio held before this decision (weights
    incl. CASH, drifted to ``as_of``), used by turnover penalties and buffers;
    ``rebalance_dates(index)`` picks the scheduled decision bars from a UTC
    index; ``lookback`` is the number of bars of history needed before the
    first decision.
    """

    @property
    def name(self) -> str: ...

    @property
    def lookback(self) -> int: ...

    def target(
        self, data: MarketData, as_of: pd.Timestamp, *, previous: pd.Series | None = None
    ) -> TargetPortfolio: ...

    def rebalance_dates(self, index: pd.DatetimeIndex) -> pd.DatetimeIndex: ...
