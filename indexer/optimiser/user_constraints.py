"""User constraints as data and as code.

* :class:`LinearConstraint`: one row ``min <= sum(coefficient x weight) <= max`` by asset or by
  registry group (``constraints.linear`` in a strategy file, ``linear=`` in :func:`indexer.optimise`,
  or an ``(A, b)`` pair through :func:`linear_from_matrix`); every back end solves these.
* :data:`CustomConstraint`: a callable ``fn(w, ctx)`` returning cvxpy constraints, given itself or
  by dotted path (:func:`resolve_custom`); solved by cvxpy.

How they enter the problem is defined with the built-in constraints, in
:mod:`indexer.optimiser.constraints`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from indexer.dotted import DottedPathError, load_dotted

if TYPE_CHECKING:  # pragma: no cover
    from indexer.optimiser.cvxpy_problem import ProblemContext

__all__ = ["LinearConstraint", "CustomConstraint", "linear_from_matrix", "resolve_custom", "dotted_name"]

#: A user constraint: ``fn(w, ctx) -> cvxpy constraint or list of them``.
CustomConstraint = Callable[[Any, "ProblemContext"], Any]


def _finite(v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f"{what} must be a finite number, got {v!r}")
    return float(v)


class LinearConstraint(BaseModel):
    """One linear constraint ``min <= sum(coefficient x weight) <= max`` (fractions of portfolio value).

    Exactly one of ``assets`` (coefficients by symbol; ``CASH`` is the cash
    line) and ``group`` (a registry theme or kind: coefficient 1 for each
    member); at least one of ``min`` and ``max``.  ``name`` labels it in
    diagnostics and errors.  An asset not eligible at a date holds 0 (its
    coefficient drops out).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    assets: dict[str, float] | None = None
    group: str | None = None
    min: float | None = None
    max: float | None = None

    @field_validator("assets")
    @classmethod
    def _coefficients(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("assets is empty: give coefficients by symbol, e.g. {BTC: 1, ETH: 1}")
        return {str(a): _finite(x, f"coefficient of {a}") for a, x in v.items()}

    @field_validator("min", "max")
    @classmethod
    def _bound(cls, v: float | None) -> float | None:
        return None if v is None else _finite(v, "min / max")

    @model_validator(mode="after")
    def _complete(self) -> LinearConstraint:
        if (self.assets is None) == (self.group is None):
            raise ValueError("a linear constraint needs exactly one of assets (coefficients by symbol) or group")
        if self.min is None and self.max is None:
            raise ValueError(f"linear constraint {self.label()!r} needs min or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"linear constraint {self.label()!r}: min {self.min} > max {self.max}")
        return self

    def label(self) -> str:
        """``name``, else the expression."""
        return self.name or self.expression()

    def expression(self) -> str:
        """``BTC + ETH``, ``2 BTC + -1 ETH`` or ``group defi``."""
        if self.group is not None:
            return f"group {self.group}"
        return " + ".join(a if c == 1 else f"{c:g} {a}" for a, c in (self.assets or {}).items())

    def text(self) -> str:
        """``[name: ]min <= expression <= max`` (a missing side left out)."""
        lo = "" if self.min is None else f"{self.min:g} <= "
        hi = "" if self.max is None else f" <= {self.max:g}"
        name = f"{self.name}: " if self.name else ""
        return f"{name}{lo}{self.expression()}{hi}"


def linear_from_matrix(v: Any) -> Any:
    """Return ``(A, b)``: a DataFrame (rows x assets, CASH allowed) and ``b`` -> rows ``A w <= b``."""
    if not (isinstance(v, tuple) and len(v) == 2):
        return v
    import pandas as pd

    A, b = v
    if not isinstance(A, pd.DataFrame):
        raise ValueError(f"linear=(A, b): A must be a DataFrame with one column per asset, got {type(A).__name__}")
    b = np.asarray(b, dtype="float64").reshape(-1)
    if len(b) != A.shape[0]:
        raise ValueError(f"linear=(A, b): A has {A.shape[0]} rows but b has {len(b)} values")
    return [{"name": str(r), "assets": {str(a): float(x) for a, x in row.items() if x != 0}, "max": float(bi)}
            for (r, row), bi in zip(A.iterrows(), b, strict=True)]


def dotted_name(fn: Any) -> str:
    """Return the dotted path of a callable (a string is returned as it is)."""
    return fn if isinstance(fn, str) else f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def resolve_custom(entry: str | CustomConstraint) -> CustomConstraint:
    """Return a custom constraint callable from itself or its dotted path ``pkg.module.function``."""
    if callable(entry):
        return entry
    if "." not in str(entry):
        raise ValueError(f"custom constraint {entry!r}: give a dotted path pkg.module.function")
    try:
        fn = load_dotted(str(entry))
    except DottedPathError as exc:
        raise ValueError(f"custom constraint {entry!r}: {exc}") from None
    if not callable(fn):
        raise ValueError(f"custom constraint {entry!r} is not callable")
    return fn
