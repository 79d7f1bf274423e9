"""Objectives, each defined once: parameters, checks and what it puts into the problem.

An :class:`Objective` is one of

* a **closed form** (``weights``: raw weights from the context, no solver);
* **data** (``terms``: :class:`~indexer.optimiser.terms.Terms` from the
  problem's numbers), which the DAQP, Clarabel and cvxpy back ends all compile;
* data plus a **cvxpy part** (``conic``: ``(w, ctx) -> expression``) that only
  cvxpy can solve (risk parity's log barrier, CVaR's scenarios).

Objectives live in a registry, like signals.  Add one with the decorator
:func:`register_objective`; a strategy file then names it (``objective:
my_name``, or a dotted path ``pkg.module.function`` that registers it)::

    from indexer.optimiser import Risk, Terms, register_objective

    @register_objective("tilted_min_variance", params={"tilt": 0.1})
    def tilted(inputs):                     # quadratic + linear data: runs on every back end
        return Terms(risk=Risk(1.0), linear=-inputs.param("tilt") * inputs.mu)

cvxpy is imported only when a ``conic`` part is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from indexer.dotted import DottedPathError, load_dotted
from indexer.exceptions import ConfigError, OptimisationError
from indexer.optimiser.closed_form import equal_weights, inverse_volatility_weights, market_cap_weights
from indexer.optimiser.terms import Risk, Rows, Terms

if TYPE_CHECKING:  # pragma: no cover
    from indexer.optimiser.cvxpy_problem import ProblemContext
    from indexer.optimiser.inputs import Inputs

__all__ = [
    "Objective",
    "register_objective",
    "objective",
    "objective_names",
    "penalty_terms",
    "BUDGET",
    "HOMOGENEOUS",
    "FREE",
]

#: Problem framings: weights + CASH sum to 1; ratio objectives homogenised by a scale variable; no budget.
BUDGET, HOMOGENEOUS, FREE = "budget", "homogeneous", "free"
_KINDS = ("terms", "cvxpy", "closed_form")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Objective:
    """One objective: its parameters and how it is solved.

    Attributes
    ----------
    name, summary
        Registry name and a one-line description.
    params
        Allowed parameters and their defaults (``spec.param(name)`` reads them).
    numbers, mappings
        Parameters that must be finite numbers (or None) / mappings asset -> finite number.
    check
        ``check(param)`` raises ``ValueError`` for a bad combination (``param(name)`` gives values).
    terms
        ``terms(inputs) -> Terms``: the quadratic / linear / row parts (every back end).
    conic
        ``conic(w, ctx) -> cvxpy expression`` added to the terms; cvxpy only.
    weights
        Closed form: ``weights(ctx, **params) -> raw weights >= 0`` (capped and normalised after).
    mode
        ``budget``, ``homogeneous`` (ratio objectives) or ``free`` (no constraints; projected after).
    reads
        Inputs read from the context: ``returns``, ``scores``, ``market_cap``.
    uses_scenarios
        The cvxpy part's shape depends on the number of return scenarios (cache key).
    reusable
        The cvxpy part takes its data only through ``ctx.param`` (so a built problem can be
        re-solved with new data); otherwise its problem is built for each solve.
    internal
        Used by the optimiser itself (projection, feasibility, max return), not selectable.
    """

    name: str
    summary: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    numbers: tuple[str, ...] = ()
    mappings: tuple[str, ...] = ()
    check: Callable[[Callable[[str], Any]], None] | None = None
    terms: Callable[[Inputs], Terms] | None = None
    conic: Callable[[Any, ProblemContext], Any] | None = None
    weights: Callable[..., np.ndarray] | None = None
    mode: str = BUDGET
    reads: tuple[str, ...] = ("returns",)
    uses_scenarios: bool = False
    reusable: bool = True
    internal: bool = False

    def __post_init__(self) -> None:
        """Check the mode (ConfigError naming the objective and the allowed modes)."""
        if self.mode not in (BUDGET, HOMOGENEOUS, FREE):
            raise ConfigError(f"objective {self.name!r}: mode {self.mode!r}; allowed: {BUDGET}, {HOMOGENEOUS}, {FREE}")
        if self.name != "fixed" and (self.weights is None) == (self.terms is None and self.conic is None):
            raise ConfigError(f"objective {self.name!r}: give weights (a closed form) or terms / conic, not both")

    @property
    def closed_form(self) -> bool:
        """Solved without a solver (raw weights, then caps)."""
        return self.weights is not None or self.name == "fixed"

    @property
    def qp(self) -> bool:
        """Whether the quadratic-programme back ends (DAQP, Clarabel) can solve it."""
        return self.terms is not None and self.conic is None and self.mode == BUDGET


_REGISTRY: dict[str, Objective] = {}


def _origin(obj: Objective) -> tuple[str, ...]:
    fns = (obj.terms, obj.conic, obj.weights)
    return tuple(f"{getattr(f, '__module__', '')}.{getattr(f, '__qualname__', '')}" for f in fns if f is not None)


def _add(obj: Objective) -> Objective:
    old = _REGISTRY.get(obj.name)
    if old is not None and _origin(old) != _origin(obj):  # re-running the same definition (a reload) is fine
        raise ConfigError(f"objective name {obj.name!r} is already registered by {', '.join(_origin(old))}")
    _REGISTRY[obj.name] = obj
    return obj


def register_objective(
    name: str,
    *,
    kind: str = "terms",
    params: Mapping[str, Any] | None = None,
    mode: str = BUDGET,
    summary: str = "",
    reads: tuple[str, ...] = ("returns",),
    check: Callable[[Callable[[str], Any]], None] | None = None,
    reusable: bool = False,
) -> Callable[[F], F]:
    """Register a function as the objective ``name`` (a decorator).

    ``kind``: ``terms`` (``fn(inputs) -> Terms``: quadratic / linear data, every
    back end), ``cvxpy`` (``fn(w, ctx) -> cvxpy expression`` to minimise; cvxpy
    only, ``ctx`` the :class:`~indexer.optimiser.cvxpy_problem.ProblemContext`)
    or ``closed_form`` (``fn(ctx, **params) -> raw weights >= 0`` over
    ``ctx.assets``).  ``params`` maps allowed parameter names to defaults;
    numbers among the defaults must be finite numbers in a strategy file.
    A ``cvxpy`` objective's problem is built for every solve unless
    ``reusable=True`` says it reads data only through ``ctx.param(name, shape,
    source)`` (then it is built once per shape and re-solved with new values).
    The function gets an ``objective`` attribute (the :class:`Objective`), so a
    dotted path to it also names the objective.
    """
    if kind not in _KINDS:
        raise ConfigError(f"register_objective({name!r}): kind {kind!r}; allowed: {', '.join(_KINDS)}")
    defaults = dict(params or {})
    numbers = tuple(k for k, v in defaults.items() if isinstance(v, (int, float)) and not isinstance(v, bool))

    def deco(fn: F) -> F:
        if not callable(fn):
            raise ConfigError(f"register_objective({name!r}) decorates a function, got {fn!r}")
        obj = Objective(name=name, summary=summary or (fn.__doc__ or "").strip().split("\n")[0], params=defaults,
                        numbers=numbers, check=check, mode=mode, reads=tuple(reads),
                        terms=fn if kind == "terms" else None, conic=fn if kind == "cvxpy" else None,
                        weights=fn if kind == "closed_form" else None, reusable=reusable)
        _add(obj)
        fn.objective = obj  # type: ignore[attr-defined]
        return fn

    return deco


def objective_names(*, internal: bool = False) -> tuple[str, ...]:
    """Names of the registered objectives (built-in first, then in registration order)."""
    return tuple(n for n, o in _REGISTRY.items() if internal or not o.internal)


def objective(name: str) -> Objective:
    """Return the objective registered as ``name``, or found at a dotted path ``pkg.module.attr``.

    Raises
    ------
    ConfigError
        Unknown name (listing the registered ones) or a dotted path that is not an objective.
    """
    if name in _REGISTRY:
        return _REGISTRY[name]
    if "." in name:
        try:
            target = load_dotted(name)
        except DottedPathError as exc:
            raise ConfigError(f"objective {name!r}: {exc}") from None
        obj = target if isinstance(target, Objective) else getattr(target, "objective", None)
        if not isinstance(obj, Objective):
            raise ConfigError(f"objective {name!r} is neither an Objective nor a function decorated by @register_objective")
        return obj
    raise ConfigError(f"unknown objective {name!r}; allowed: {', '.join(objective_names())} "
                      "(or a dotted path pkg.module.name to a registered objective)")


# -- parameter checks ------------------------------------------------------------------------------------
def _check_market_cap(p: Callable[[str], Any]) -> None:
    power = float(p("power"))
    if not 0 < power <= 1:
        raise ValueError(f"market_cap power must be in (0, 1] (1 = cap weights, 0.5 = square root), got {power}")
    cap = p("max_weight")
    if cap is not None and not 0 < float(cap) <= 1:
        raise ValueError(f"market_cap max_weight must be a fraction in (0, 1], got {cap}")


def _check_fixed(p: Callable[[str], Any]) -> None:
    w = p("weights")
    if not isinstance(w, dict) or not w:
        raise ValueError("objective 'fixed' needs params.weights, e.g. {BTC: 0.6, ETH: 0.4}")
    if any(float(x) < 0 for x in w.values()):
        raise ValueError(f"fixed weights must be >= 0, got {w}")
    total = sum(float(x) for x in w.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"fixed weights must sum to 1 (CASH may be listed), got {total:.6f}")


def _check_mean_variance(p: Callable[[str], Any]) -> None:
    if float(p("risk_aversion")) < 0:
        raise ValueError("mean_variance risk_aversion must be >= 0")


def _check_cvar(p: Callable[[str], Any]) -> None:
    if not 0 < float(p("alpha")) < 1:
        raise ValueError("min_cvar alpha must be in (0, 1), e.g. 0.95")


#: What ``target_return`` does when no portfolio meets the required return.
IF_UNREACHABLE = ("error", "max_return")


def _check_target_return(p: Callable[[str], Any]) -> None:
    required, if_unreachable = p("required_return"), p("if_unreachable")
    if required is None:
        raise ValueError("objective 'target_return' needs params.required_return (annual fraction, e.g. 0.4)")
    if isinstance(required, bool) or not isinstance(required, (int, float)):
        raise ValueError(f"params.required_return of objective 'target_return' must be a finite number, got {required!r}")
    if not -1.0 < float(required) < 100.0:
        raise ValueError(f"target_return required_return must be an annual fraction in (-1, 100), got {required!r}")
    if if_unreachable not in IF_UNREACHABLE:
        raise ValueError(f"target_return if_unreachable {if_unreachable!r}; allowed: {', '.join(IF_UNREACHABLE)}")


# -- data of the convex objectives ------------------------------------------------------------------------
def _mean_variance(i: Inputs) -> Terms:
    """``-(scores . w) + risk_aversion * w'Sw``."""
    return Terms(risk=Risk(float(i.spec.param("risk_aversion"))), linear=-i.mu)


def _min_variance(i: Inputs) -> Terms:
    return Terms(risk=Risk(1.0))


def _target_return(i: Inputs) -> Terms:
    """``w'Sw`` subject to ``scores . w >= required_return`` (annual fractions, CASH earning 0)."""
    return Terms(risk=Risk(1.0), rows=(Rows.at_least(i.mu[None, :], [i.required_return]),))


def _max_return(i: Inputs) -> Terms:
    return Terms(linear=-i.mu)


def _max_sharpe(i: Inputs) -> Terms:
    """Homogenised: minimise ``y'Sy`` s.t. ``(mu - rf) . y = 1``; weights ``y / scale``."""
    excess = i.mu - float(i.spec.param("risk_free"))
    if not (excess > 0).any():
        raise OptimisationError("max_sharpe: no asset has an expected return above risk_free")
    return Terms(risk=Risk(1.0), rows=(Rows.equal_to(excess[None, :], [1.0], scaled=False),))


def _max_diversification(i: Inputs) -> Terms:
    """Homogenised ``(vol . w) / sqrt(w'Sw)``: minimise ``y'Sy`` s.t. ``vol . y = 1``."""
    return Terms(risk=Risk(1.0), rows=(Rows.equal_to(i.vol[None, :], [1.0], scaled=False),))


def _tracking_error(i: Inputs) -> Terms:
    """``(w - benchmark)' S (w - benchmark)``."""
    return Terms(risk=Risk(1.0, centre=benchmark_weights(i)))


def benchmark_weights(i: Inputs) -> np.ndarray:
    """Benchmark of ``min_tracking_error``: ``ctx.benchmark``, else the ``benchmark`` param (normalised)."""
    ctx = i.ctx
    if ctx.benchmark is not None:
        b = ctx.series("benchmark").to_numpy()
    else:
        which = i.spec.param("benchmark") if i.spec.objective == "min_tracking_error" else "market_cap"
        if isinstance(which, dict):
            b = np.array([float(which.get(a, 0.0)) for a in ctx.assets])
        elif which == "market_cap":
            b = market_cap_weights(ctx)
        elif which == "equal_weight":
            b = equal_weights(ctx)
        else:
            raise OptimisationError(f"min_tracking_error benchmark {which!r}: use market_cap, equal_weight or a weights mapping")
    if (b < 0).any() or b.sum() <= 0:
        raise OptimisationError("benchmark weights must be >= 0 with a positive sum")
    return b / b.sum()


def _projection(i: Inputs) -> Terms:
    """``||w - target||^2 + (cash - target_cash)^2``: the nearest weights meeting the constraints."""
    return Terms(proximity=(i.target, i.target_cash))


def _feasibility(i: Inputs) -> Terms:
    return Terms()


def _risk_parity_terms(i: Inputs) -> Terms:
    return Terms(risk=Risk(0.5))


def _risk_parity_barrier(w: Any, ctx: ProblemContext) -> Any:
    """``-sum(budget_i log y_i)``; with ``0.5 y'Sy`` its minimiser has risk contributions proportional to the budgets."""
    import cvxpy as cp

    budgets = ctx.param("budgets", ctx.n, _budgets, nonneg=True)
    return -(budgets @ cp.log(w))


def _budgets(i: Inputs) -> np.ndarray:
    given = i.spec.param("budgets") if i.spec.objective == "risk_parity" else None
    if not given:
        return np.full(i.n, 1.0 / i.n)
    raw = np.array([float(given.get(a, 0.0)) for a in i.ctx.assets])
    return raw / raw.sum()


def _cvar(w: Any, ctx: ProblemContext) -> Any:
    """CVaR of daily losses at level ``alpha`` (Rockafellar-Uryasev scenario LP)."""
    import cvxpy as cp

    T = ctx.inputs.scenarios.shape[0]
    R = ctx.param("scenarios", (T, ctx.n), lambda i: i.scenarios)
    k = ctx.param("cvar_scale", (), lambda i: 1.0 / ((1.0 - float(i.spec.param("alpha"))) * T), nonneg=True)
    var = cp.Variable(name="var")
    u = cp.Variable(T, nonneg=True, name="excess_loss")
    ctx.require(u >= -(R @ w) - var)
    return var + k * cp.sum(u)


def penalty_terms(i: Inputs) -> Terms:
    """Turnover (``lambda ||w - previous||_1``, CASH included) plus proportional transaction costs."""
    pen = i.spec.penalties
    tc = pen.transaction_cost
    if isinstance(tc, dict):
        cost = np.array([float(tc.get(a, pen.default_cost)) for a in i.ctx.assets])
    else:
        cost = np.full(i.n, float(tc))
    return Terms(trade_costs=(cost + float(pen.turnover), float(pen.turnover)))


for _obj in (
    Objective("market_cap", "weights proportional to market_cap ** power, capped by water-filling",
              params={"power": 1.0, "max_weight": None}, numbers=("power", "max_weight"), check=_check_market_cap,
              weights=market_cap_weights, reads=("market_cap",)),
    Objective("equal_weight", "1/n", weights=equal_weights, reads=()),
    Objective("inverse_volatility", "proportional to 1 / daily volatility", weights=inverse_volatility_weights),
    Objective("fixed", "the weights given in params.weights", params={"weights": None}, mappings=("weights",),
              check=_check_fixed, reads=()),
    Objective("mean_variance", "maximise scores.w - risk_aversion w'Sw", params={"risk_aversion": 1.0},
              numbers=("risk_aversion",), check=_check_mean_variance, terms=_mean_variance, reads=("returns", "scores")),
    Objective("min_variance", "minimise w'Sw", terms=_min_variance),
    Objective("max_sharpe", "maximise (mu - rf).w / sqrt(w'Sw)", params={"risk_free": 0.0}, numbers=("risk_free",),
              terms=_max_sharpe, mode=HOMOGENEOUS, reads=("returns", "scores")),
    Objective("risk_parity", "equal (or budgeted) risk contributions", params={"budgets": None}, mappings=("budgets",),
              terms=_risk_parity_terms, conic=_risk_parity_barrier, mode=FREE),
    Objective("min_cvar", "minimise CVaR of daily losses at level alpha", params={"alpha": 0.95}, numbers=("alpha",),
              check=_check_cvar, conic=_cvar, uses_scenarios=True),
    Objective("max_diversification", "maximise (vol.w) / sqrt(w'Sw)", terms=_max_diversification, mode=HOMOGENEOUS),
    Objective("min_tracking_error", "minimise (w - b)'S(w - b)", params={"benchmark": "market_cap"},
              terms=_tracking_error, reads=("returns", "market_cap")),
    Objective("target_return", "minimise w'Sw subject to scores.w >= required_return",
              params={"required_return": None, "if_unreachable": "error"}, check=_check_target_return,
              terms=_target_return, reads=("returns", "scores")),
    Objective("max_return", "maximise scores.w (the reachable maximum of target_return)", terms=_max_return,
              reads=("returns", "scores"), internal=True),
    Objective("projection", "nearest weights meeting the constraints", terms=_projection, reads=(), internal=True),
    Objective("feasibility", "zero: which constraints can be met", terms=_feasibility, reads=(), internal=True),
):
    _add(_obj)
