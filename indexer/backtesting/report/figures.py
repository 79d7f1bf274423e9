"""Charts of a :class:`~indexer.backtesting.BacktestResult` as plain plotly JSON (one function per chart).

Each builder returns ``{"data": [trace dicts], "layout": {...}}`` in plotly's JSON schema, the
same as ``go.Figure.to_plotly_json()`` of the chart minus its template: building them skips
plotly's property validation and the per-figure copy of the ``plotly_white`` template, which
the HTML report applies once in the page.  :func:`all_figures` turns them into
``plotly.graph_objects.Figure`` objects with that template for notebooks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer.backtesting.benchmarks import BENCHMARK_LABELS

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

    from indexer.backtesting.result import BacktestResult

__all__ = ["FIGURE_SPECS", "FIGURES", "figure_specs", "all_figures", "thin", "THIN_ABOVE", "TEMPLATE"]

#: A chart as plotly JSON: ``{"data": [...], "layout": {...}}``.
Spec = dict[str, Any]
#: The plotly template every chart is drawn with.
TEMPLATE = "plotly_white"
#: Series longer than this many bars (two years of days) are drawn from weekly points.
THIN_ABOVE = 730


def thin(s: pd.Series, keep: str = "last") -> tuple[list[str], np.ndarray]:
    """Return the chart points of a daily series: ``(x as YYYY-MM-DD strings, y as float32)``.

    Series longer than :data:`THIN_ABOVE` bars keep one point per calendar week
    (Monday-based, in the index's time zone, UTC for market data; its last bar, or with
    ``keep="min"`` its lowest value, earliest on ties, so drawdown troughs stay exact)
    plus the first and last bars: at a multi-year width a chart cannot show more, and
    the report stays small.  Shorter series keep every bar.  NaNs are dropped first.
    """
    s = s.dropna()
    idx = s.index
    if not isinstance(idx, pd.DatetimeIndex):
        return list(idx), s.to_numpy(dtype="float32")
    if len(s) > THIN_ABOVE:
        day_ns = 86_400_000_000_000
        since = idx.as_unit("ns").asi8 - pd.Timestamp("1970-01-05", tz=idx.tz).value  # ns since a Monday midnight
        week = since // day_ns // 7
        if keep == "min":
            order = np.lexsort((np.arange(len(s)), s.to_numpy()))  # lowest value first, earliest on ties
            picked = order[np.unique(week[order], return_index=True)[1]]  # first of each week in that order
        else:
            picked = len(s) - 1 - np.unique(week[::-1], return_index=True)[1]  # each week's last bar
        s = s.iloc[np.unique(np.r_[0, picked, len(s) - 1])]
        idx = s.index
    wall = idx.tz_localize(None) if idx.tz is not None else idx  # dates as the index's time zone shows them
    return np.datetime_as_string(wall.to_numpy(), unit="D").tolist(), s.to_numpy(dtype="float32")


def _label(res: BacktestResult, name: str) -> str:
    return name if name == res.name else BENCHMARK_LABELS.get(name, name)


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    """Return the shared layout (420 px high, unified hover) with ``title`` and ``extra`` keys."""
    return {"height": 420, "margin": {"l": 60, "r": 20, "t": 50, "b": 40}, "hovermode": "x unified",
            "title": {"text": title}, **extra}  # fmt: skip


def _secondary_y() -> dict[str, Any]:
    """Return the axes of ``make_subplots(specs=[[{"secondary_y": True}]])``: ``yaxis2`` on the right."""
    return {"xaxis": {"anchor": "y", "domain": [0.0, 0.94]}, "yaxis": {"anchor": "x", "domain": [0.0, 1.0]},
            "yaxis2": {"anchor": "x", "overlaying": "y", "side": "right"}}  # fmt: skip


def _colorscale(name: str) -> list[list[Any]]:
    """Return the named diverging colorscale as ``[[position 0..1, "rgb(...)"], ...]``, as plotly expands it."""
    import plotly.colors

    colors = getattr(plotly.colors.diverging, name)
    return [[i / (len(colors) - 1), c] for i, c in enumerate(colors)]


def equity(res: BacktestResult) -> Spec:
    """Plot the growth of 1 USD, strategy against benchmarks, on a log scale."""
    data = []
    for i, (name, s) in enumerate(res.equity_table(normalise=True).items()):
        x, y = thin(s)
        data.append({"type": "scatter", "x": x, "y": y, "name": _label(res, name), "line": {"width": 3 if i == 0 else 1.5}})
    return {"data": data, "layout": _layout("Equity (growth of 1 USD, log scale)", yaxis={"type": "log"})}


def drawdowns(res: BacktestResult) -> Spec:
    """Plot the drawdown from peak (fraction) of the strategy (filled) and the benchmarks."""
    data = []
    for i, (name, s) in enumerate(res.equity_table(normalise=False).items()):
        x, y = thin(s / s.cummax() - 1.0, keep="min")
        trace = {"type": "scatter", "x": x, "y": y, "name": _label(res, name), "line": {"width": 2 if i == 0 else 1}}
        data.append({**trace, "fill": "tozeroy"} if i == 0 else trace)
    return {"data": data, "layout": _layout("Drawdown", yaxis={"tickformat": ".0%"})}


def weights(res: BacktestResult) -> Spec:
    """Plot the held weights over time (stacked area, weekly samples), CASH included."""
    h = res.holdings.clip(lower=0.0)
    h = h.iloc[::7] if len(h) > 400 else h
    order = h.mean().sort_values(ascending=False).index
    x = list(h.index.strftime("%Y-%m-%d"))
    data = [{"type": "scatter", "x": x, "y": h[a].to_numpy(dtype="float32"), "name": a, "stackgroup": "w",
             "mode": "lines", "line": {"width": 0.5}} for a in order]  # fmt: skip
    return {"data": data, "layout": _layout("Weights held (stacked)", yaxis={"tickformat": ".0%", "range": [0, 1]})}


def turnover_costs(res: BacktestResult) -> Spec:
    """Plot the traded fraction per rebalance (bars, left) and cumulative fees and slippage (lines, USD, right)."""
    data: list[dict[str, Any]] = []
    if len(res.decisions):
        d = res.decisions
        width = 4 * 86_400_000  # ms: visible bars on a date axis
        data.append({"type": "bar", "x": d["executed"], "y": (0.5 * d["traded"]).to_numpy(), "name": "one-way turnover",
                     "width": width, "xaxis": "x", "yaxis": "y"})  # fmt: skip
    c = res.costs
    if len(c):
        for col, lab in (("fees", "fees (cum., USD)"), ("slippage", "slippage (cum., USD)")):
            x, y = thin(c[col].cumsum())
            data.append({"type": "scatter", "x": x, "y": y, "name": lab, "xaxis": "x", "yaxis": "y2"})
    layout = _layout("Turnover per rebalance and cumulative costs", **_secondary_y())
    layout["yaxis"]["tickformat"] = ".0%"
    return {"data": data, "layout": layout}


def monthly(res: BacktestResult) -> Spec:
    """Plot the monthly returns (fraction) as a years x months heatmap."""
    m = res.monthly_returns
    z = m.to_numpy()
    text = [[("" if not np.isfinite(v) else f"{v * 100:.1f}%") for v in row] for row in z]
    trace = {"type": "heatmap", "z": z, "x": [pd.Timestamp(2000, k, 1).strftime("%b") for k in m.columns],
             "y": [str(y) for y in m.index], "text": text, "texttemplate": "%{text}",
             "colorscale": _colorscale("RdYlGn"), "zmid": 0, "colorbar": {"tickformat": ".0%"}}  # fmt: skip
    return {"data": [trace], "layout": _layout("Monthly returns", hovermode="closest", yaxis={"autorange": "reversed"})}


def rolling(res: BacktestResult) -> Spec:
    """Plot the rolling 90-day Sharpe (left) and volatility (fraction, right) of the strategy and BTC."""
    from indexer.backtesting.metrics import rolling_metrics

    curves = {res.name: res.equity}
    if "btc" in res.benchmarks:
        curves["btc"] = res.benchmarks["btc"].equity
    data = []
    for name, eq in curves.items():
        r = rolling_metrics(eq, 90)
        lab = _label(res, name)
        x, y = thin(r["sharpe_90d"])
        data.append({"type": "scatter", "x": x, "y": y, "name": f"{lab} Sharpe 90d", "xaxis": "x", "yaxis": "y"})
        x, y = thin(r["volatility_90d"])
        data.append({"type": "scatter", "x": x, "y": y, "name": f"{lab} vol 90d", "line": {"dash": "dot"},
                     "xaxis": "x", "yaxis": "y2"})  # fmt: skip
    layout = _layout("Rolling 90-day Sharpe and volatility", **_secondary_y())
    layout["yaxis2"]["tickformat"] = ".0%"
    return {"data": data, "layout": layout}


def _subplot_title(text: str, y: float) -> dict[str, Any]:
    """Return a subplot title annotation as ``make_subplots(subplot_titles=...)`` places it (paper coordinates)."""
    return {"font": {"size": 16}, "showarrow": False, "text": text, "x": 0.47, "xanchor": "center", "xref": "paper",
            "y": y, "yanchor": "bottom", "yref": "paper"}  # fmt: skip


def diagnostics(res: BacktestResult) -> Spec | None:
    """Plot exposure (1 - CASH) and universe size per decision, and signal scores when present.

    Row 1 holds exposure (left axis) and universe size (right axis); row 2, only when the
    strategy reports scores, a heatmap of them.  The layout is ``make_subplots(rows, 1,
    secondary_y on row 1, vertical_spacing=0.12)`` written out.
    """
    d = res.diagnostics
    sc = res.scores
    if d.empty and sc.empty:
        return None
    data: list[dict[str, Any]] = []
    if not d.empty:
        data.append({"type": "scatter", "x": d.index, "y": d["exposure"].to_numpy(), "name": "exposure",
                     "mode": "lines+markers", "xaxis": "x", "yaxis": "y"})  # fmt: skip
        data.append({"type": "scatter", "x": d.index, "y": d["universe"].to_numpy(), "name": "universe size",
                     "line": {"dash": "dot"}, "xaxis": "x", "yaxis": "y2"})  # fmt: skip
    axes = _secondary_y()
    axes["yaxis"]["tickformat"] = ".0%"
    titles = [_subplot_title("Exposure and universe size", 1.0)]
    if not sc.empty:
        s = sc.astype(float)
        data.append({"type": "heatmap", "z": s.T.to_numpy(), "x": s.index, "y": list(s.columns),
                     "colorscale": _colorscale("RdBu"), "zmid": 0, "showscale": False, "name": "scores",
                     "xaxis": "x2", "yaxis": "y3"})  # fmt: skip
        axes["yaxis"]["domain"] = [0.56, 1.0]
        axes.update(xaxis2={"anchor": "y3", "domain": [0.0, 0.94]}, yaxis3={"anchor": "x2", "domain": [0.0, 0.44]})
        titles.append(_subplot_title("Signal scores", 0.44))
    layout = _layout("Signal and model diagnostics", height=420 * len(titles), annotations=titles, **axes)
    return {"data": data, "layout": layout}


#: Chart id -> builder of its plotly JSON (``None`` when the chart does not apply), in report order.
FIGURE_SPECS: dict[str, Callable[[BacktestResult], Spec | None]] = {
    "equity": equity,
    "drawdown": drawdowns,
    "weights": weights,
    "turnover": turnover_costs,
    "monthly": monthly,
    "rolling": rolling,
    "diagnostics": diagnostics,
}


def figure_specs(res: BacktestResult) -> dict[str, Spec]:
    """Return the plotly JSON of every chart that applies to ``res``, by chart id in report order.

    Diagnostics are included only when the strategy reports them.  The specs carry no
    template: draw them with :data:`TEMPLATE` (the HTML report sets it in the page).
    """
    out = {}
    for key, build in FIGURE_SPECS.items():
        spec = build(res)
        if spec is not None:
            out[key] = spec
    return out


def _to_figure(spec: Spec) -> go.Figure:
    """Return ``spec`` as a validated ``go.Figure`` drawn with :data:`TEMPLATE`."""
    import plotly.graph_objects as go

    return go.Figure(data=spec["data"], layout={**spec["layout"], "template": TEMPLATE})


def _figure_builder(build: Callable[[BacktestResult], Spec | None]) -> Callable[[BacktestResult], go.Figure | None]:
    """Wrap a spec builder into one returning a ``go.Figure`` (or ``None`` when the chart does not apply)."""

    @functools.wraps(build)
    def figure(res: BacktestResult) -> go.Figure | None:
        spec = build(res)
        return None if spec is None else _to_figure(spec)

    return figure


#: Chart id -> builder of its ``go.Figure`` (``None`` when the chart does not apply), for notebooks.
FIGURES: dict[str, Callable[[BacktestResult], go.Figure | None]] = {k: _figure_builder(b) for k, b in FIGURE_SPECS.items()}


def all_figures(res: BacktestResult) -> dict[str, go.Figure]:
    """Return every chart that applies to ``res`` as a ``go.Figure`` with the ``plotly_white`` template.

    For notebooks: the same figures the report draws (diagnostics only when the strategy reports them).
    """
    return {k: _to_figure(spec) for k, spec in figure_specs(res).items()}
