"""A user's optimiser extensions, written outside the ``indexer`` package (imported by the extension tests).

Registers three objectives (data, cvxpy and closed form) and defines custom
constraint callables, exactly as a user's own module would; strategy files in
the tests name them by dotted path (``optimiser.user_extensions.<name>``).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from indexer.optimiser import Risk, Terms, register_objective


@register_objective("test_tilted_min_variance", params={"tilt": 0.0})
def tilted_min_variance(inputs):  # noqa: ANN001, ANN201 - the documented signature
    """``w'Sw - tilt x scores.w``: minimum variance tilted towards high scores (data: every back end)."""
    return Terms(risk=Risk(1.0), linear=-float(inputs.param("tilt")) * inputs.mu)


@register_objective("test_least_squares", kind="cvxpy")
def least_squares(w, ctx):  # noqa: ANN001, ANN201
    """``||w||^2``: the most even weights the constraints allow (a cvxpy expression: cvxpy back end)."""
    return cp.sum_squares(w)


@register_objective("test_two_largest", kind="closed_form", params={"k": 2}, reads=("market_cap",))
def two_largest(ctx, k=2):  # noqa: ANN001, ANN201
    """Equal weights in the ``k`` largest market caps (a closed form)."""
    mc = ctx.series("market_cap").to_numpy()
    raw = np.zeros(ctx.n)
    raw[np.argsort(-mc, kind="stable")[: int(k)]] = 1.0
    return raw


def eth_over_btc(w, ctx):  # noqa: ANN001, ANN201
    """ETH holds at least 5 points more than BTC."""
    return [ctx.weight("ETH") >= ctx.weight("BTC") + ctx.scaled(0.05)]


def btc_at_least_30(w, ctx):  # noqa: ANN001, ANN201
    """BTC at least 30% (right-hand side scaled, so it holds for ratio objectives too)."""
    return ctx.weight("BTC") >= ctx.scaled(0.3)


def not_a_constraint(w, ctx):  # noqa: ANN001, ANN201
    return 0.3


def not_convex(w, ctx):  # noqa: ANN001, ANN201
    return [cp.square(ctx.weight("BTC")) >= 0.01]
