"""What an objective or a constraint puts into a problem, as data: :class:`Terms`.

Every objective (:mod:`~indexer.optimiser.objectives`) and every constraint
group (:mod:`~indexer.optimiser.constraints`) is defined once, as a function
returning :class:`Terms` from the problem's numbers; the back ends compile the
same data:

* DAQP and Clarabel (:mod:`~indexer.optimiser.qp`) into ``0.5 x'Px + q'x``
  with bounds and linear rows;
* cvxpy (:mod:`~indexer.optimiser.cvxpy_problem`) into a DPP problem whose
  parameters are these arrays, built once per shape.

The variables are the asset weights ``w`` (n), the ``cash`` line and, when a
term needs them, trade variables ``t >= |w - previous|`` and
``t_cash >= |cash - previous cash|``.  What a QP cannot hold (a log barrier,
CVaR scenarios, a user's cvxpy callable) is a separate cvxpy callable next to
the data; a problem with one is solved by cvxpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Risk", "Rows", "Terms"]


@dataclass(frozen=True)
class Risk:
    """``weight * (w - centre)' S (w - centre)``, ``S`` the risk model's annualised covariance.

    ``centre`` (n,) defaults to 0 (the portfolio variance); a benchmark gives
    the tracking variance.  ``weight`` >= 0.
    """

    weight: float = 1.0
    centre: np.ndarray | None = None


@dataclass(frozen=True)
class Rows:
    """Linear rows ``lower <= A @ w + cash * CASH <= upper`` (a side left ``None`` is unbounded).

    Attributes
    ----------
    A, cash
        Coefficients of the weights (m, n) and of the CASH line (m,).
    lower, upper
        Bounds (m,); equal arrays with ``equal=True`` make equalities.
    on_trades
        The coefficients multiply the trade variables ``(t, t_cash)`` instead of ``(w, cash)``.
    scaled
        In ratio objectives (solved homogenised) the bounds scale with the
        homogenising variable; ``False`` for the ratio's own normalisation row.
    """

    A: np.ndarray
    cash: np.ndarray
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    equal: bool = False
    on_trades: bool = False
    scaled: bool = True

    @classmethod
    def at_most(cls, A: ArrayLike, b: ArrayLike, cash: ArrayLike | None = None, *, on_trades: bool = False,
                scaled: bool = True) -> Rows:
        """Return the rows ``A w + cash x CASH <= b``."""
        A = np.atleast_2d(np.asarray(A, dtype="float64"))
        return cls(A, _cash(cash, A), upper=np.asarray(b, dtype="float64").reshape(-1), on_trades=on_trades, scaled=scaled)

    @classmethod
    def at_least(cls, A: ArrayLike, b: ArrayLike, cash: ArrayLike | None = None, *, on_trades: bool = False,
                scaled: bool = True) -> Rows:
        """Return the rows ``A w + cash x CASH >= b``."""
        A = np.atleast_2d(np.asarray(A, dtype="float64"))
        return cls(A, _cash(cash, A), lower=np.asarray(b, dtype="float64").reshape(-1), on_trades=on_trades, scaled=scaled)

    @classmethod
    def between(cls, A: ArrayLike, lo: ArrayLike, hi: ArrayLike, cash: ArrayLike | None = None, *,
                on_trades: bool = False, scaled: bool = True) -> Rows:
        """``lo <= A w + cash x CASH <= hi``."""
        A = np.atleast_2d(np.asarray(A, dtype="float64"))
        lower, upper = np.asarray(lo, dtype="float64").reshape(-1), np.asarray(hi, dtype="float64").reshape(-1)
        return cls(A, _cash(cash, A), lower=lower, upper=upper, on_trades=on_trades, scaled=scaled)

    @classmethod
    def equal_to(cls, A: ArrayLike, b: ArrayLike, cash: ArrayLike | None = None, *, on_trades: bool = False,
                scaled: bool = True) -> Rows:
        """Return the rows ``A w + cash x CASH == b``."""
        A = np.atleast_2d(np.asarray(A, dtype="float64"))
        rhs = np.asarray(b, dtype="float64").reshape(-1)
        return cls(A, _cash(cash, A), lower=rhs, upper=rhs, equal=True, on_trades=on_trades, scaled=scaled)

    @property
    def m(self) -> int:
        """Number of rows."""
        return int(self.A.shape[0])

    def signature(self) -> tuple:
        """Return the structure (not the values): part of a compiled problem's cache key."""
        return (self.m, self.lower is not None, self.upper is not None, self.equal, self.on_trades, self.scaled)


def _cash(cash: ArrayLike | None, A: np.ndarray) -> np.ndarray:
    return np.zeros(A.shape[0]) if cash is None else np.asarray(cash, dtype="float64").reshape(-1)


@dataclass(frozen=True)
class Terms:
    """One objective's or constraint group's contribution, to be minimised / honoured.

    Objective parts (added up): ``risk`` (:class:`Risk`); ``proximity``
    ``(target, target_cash)`` for ``||w - target||^2 + (cash - target_cash)^2``;
    ``linear`` ``q`` for ``q . w``; ``trade_costs`` ``(c, c_cash)`` for
    ``c . t + c_cash t_cash`` (turnover and transaction-cost penalties).

    Constraint parts (all must hold): ``lower`` / ``upper`` (n,) bounds of
    ``w``; ``cash_lower`` / ``cash_upper`` bounds of CASH; ``rows``
    (:class:`Rows`).  Values are fractions of portfolio value.
    """

    risk: Risk | None = None
    proximity: tuple[np.ndarray, float] | None = None
    linear: np.ndarray | None = None
    trade_costs: tuple[np.ndarray, float] | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    cash_lower: float | None = None
    cash_upper: float | None = None
    rows: tuple[Rows, ...] = field(default_factory=tuple)

    @property
    def uses_trades(self) -> bool:
        """Whether the trade variables ``t``, ``t_cash`` enter."""
        return self.trade_costs is not None or any(r.on_trades for r in self.rows)

    @property
    def quadratic(self) -> bool:
        """Whether the term has a quadratic part."""
        return self.risk is not None or self.proximity is not None

    def signature(self) -> tuple:
        """Return the structure (which parts, how many rows): part of a compiled problem's cache key."""
        present = tuple(getattr(self, f) is not None for f in
                        ("risk", "proximity", "linear", "trade_costs", "lower", "upper", "cash_lower", "cash_upper"))
        centre = self.risk is not None and self.risk.centre is not None
        return (present, centre, tuple(r.signature() for r in self.rows))
