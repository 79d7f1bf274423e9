"""Build-time context of a cvxpy problem: variables, named DPP parameters and their value sources.

Objective terms and constraints are small callables ``(w, b) -> expression``
or ``(w, b) -> list[constraint]`` where ``b`` is a :class:`Build`.  They ask
``b.param(name, shape, source)`` for a :class:`cvxpy.Parameter`; ``source`` maps
the call's :class:`~indexer.optimiser.inputs.Inputs` to the value and is
evaluated at every solve, so a built problem is re-used with new data.
"""

from __future__ import annotations

from typing import Any, Callable

import cvxpy as cp
import numpy as np

from indexer.optimiser.inputs import Inputs

__all__ = ["Build", "Source"]

Source = Callable[[Inputs], Any]


class Build:
    """Variables and parameters of one problem under construction.

    Parameters
    ----------
    inputs
        The first call's inputs: only shapes are read from it at build time.
    mode
        ``"budget"`` (weights sum to 1 with CASH), ``"homogeneous"`` (weights
        scaled by a free variable ``scale``: max Sharpe, max diversification)
        or ``"free"`` (no budget: the risk-parity log-barrier).
    """

    def __init__(self, inputs: Inputs, mode: str = "budget") -> None:
        self.inputs = inputs
        self.mode = mode
        self.n = inputs.n
        self.w = cp.Variable(self.n, name="w")
        self.cash = cp.Variable(name="cash")
        self.scale: cp.Variable | float = cp.Variable(name="scale", nonneg=True) if mode == "homogeneous" else 1.0
        self.params: dict[str, tuple[cp.Parameter, Source]] = {}
        self.extra: list[cp.Constraint] = []
        self._trades: tuple[cp.Variable, cp.Variable] | None = None

    def param(self, name: str, shape: tuple[int, ...] | int, source: Source, **attrs: Any) -> cp.Parameter:
        """The parameter ``name`` (created on first request) whose value comes from ``source(inputs)``."""
        if name not in self.params:
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            self.params[name] = (cp.Parameter(shape, name=name, **attrs), source)
        return self.params[name][0]

    def scaled(self, x: Any) -> Any:
        """``x`` times the homogenisation scale (``x`` itself outside homogeneous mode)."""
        return x * self.scale if self.mode == "homogeneous" else x

    def variance(self, x: cp.Expression, times: Source | None = None, tag: str = "") -> cp.Expression:
        """``c x' S x`` with ``S = G'G + diag(d)`` of the risk model, in DPP form.

        ``times`` gives the non-negative multiplier ``c`` from the inputs (default 1);
        it is folded into the factor parameters (``sqrt(c) G``) so the product stays DPP.
        """
        root = (lambda i: 1.0) if times is None else (lambda i: float(np.sqrt(times(i))))
        k = self.inputs.reduced.G.shape[0]
        G = self.param("G" + tag, (k, self.n), lambda i: root(i) * i.reduced.G)
        expr = cp.sum_squares(G @ x)
        if np.any(self.inputs.factor.d > 0):
            sd = self.param("sqrt_d" + tag, self.n, lambda i: root(i) * i.sqrt_d, nonneg=True)
            expr = expr + cp.sum_squares(cp.multiply(sd, x))
        return expr

    def trades(self) -> tuple[cp.Variable, cp.Variable]:
        """Variables bounding ``|w - previous|`` by asset and ``|cash - previous cash|`` (created once)."""
        if self._trades is None:
            prev = self.param("prev", self.n, lambda i: i.previous[0], nonneg=True)
            prev_cash = self.param("prev_cash", (), lambda i: i.previous[1], nonneg=True)
            t = cp.Variable(self.n, name="trade")
            tc = cp.Variable(name="trade_cash")
            p, pc = self.scaled(prev), self.scaled(prev_cash)
            self.extra += [t >= self.w - p, t >= p - self.w, tc >= self.cash - pc, tc >= pc - self.cash]
            self._trades = (t, tc)
        return self._trades
