"""Plotly figures of a :class:`~indexer.backtesting.BacktestResult` (one function per chart)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexer.backtesting.benchmarks import BENCHMARK_LABELS

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

    from indexer.backtesting.result import BacktestResult

__all__ = ["FIGURES", "all_figures", "thin", "THIN_ABOVE"]

_LAYOUT = dict(template="plotly_white", height=420, margin=dict(l=60, r=20, t=50, b=40), hovermode="x unified")
#: Series longer than this many bars (two years of days) are drawn from weekly points.
THIN_ABOVE = 730


def thin(s: pd.Series, keep: str = "last") -> tuple[list[str], np.ndarray]:
    """Chart points of a daily series: ``(x as YYYY-MM-DD strings, y as float32)``.

    Series longer than :data:`THIN_ABOVE` bars keep one point per calendar week
    (UTC; its last bar, or with ``keep="min"`` its lowest value, so drawdown troughs
    stay exact) plus the first and last bars: at a multi-year width a chart cannot
    show more, and the report stays small.  Shorter series keep every bar.
    """
    s = s.dropna()
    if len(s) > THIN_ABOVE and isinstance(s.index, pd.DatetimeIndex):
        week = (s.index - pd.Timestamp("1970-01-05", tz=s.index.tz)).days // 7  # Monday-based UTC weeks
        g = pd.Series(s.to_numpy(), index=np.asarray(week))
        pos = np.arange(len(s))
        if keep == "min":
            order = np.lexsort((pos, s.to_numpy()))  # lowest value first, earliest on ties
            picked = pd.Series(pos[order], index=np.asarray(week)[order]).groupby(level=0).first().to_numpy()
        else:
            picked = pd.Series(pos, index=g.index).groupby(level=0).last().to_numpy()
        picked = np.unique(np.r_[0, picked, len(s) - 1])
        s = s.iloc[picked]
    x = list(s.index.strftime("%Y-%m-%d")) if isinstance(s.index, pd.DatetimeIndex) else list(s.index)
    return x, s.to_numpy(dtype="float32")


def _label(res: BacktestResult, name: str) -> str:
    return name if name == res.name else BENCHMARK_LABELS.get(name, name)


def equity(res: BacktestResult) -> go.Figure:
    """Growth of 1 USD, strategy against benchmarks, log scale."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (name, s) in enumerate(res.equity_table(normalise=True).items()):
        x, y = thin(s)
        fig.add_trace(go.Scatter(x=x, y=y, name=_label(res, name), line=dict(width=3 if i == 0 else 1.5)))
    fig.update_layout(title="Equity (growth of 1 USD, log scale)", yaxis_type="log", **_LAYOUT)
    return fig


def drawdowns(res: BacktestResult) -> go.Figure:
    """Drawdown from peak of the strategy and benchmarks."""
    import plotly.graph_objects as go

    fig = go.Figure()
    eq = res.equity_table(normalise=False)
    for i, (name, s) in enumerate(eq.items()):
        x, y = thin(s / s.cummax() - 1.0, keep="min")
        fig.add_trace(go.Scatter(x=x, y=y, name=_label(res, name), fill="tozeroy" if i == 0 else None,
                                 line=dict(width=2 if i == 0 else 1)))  # fmt: skip
    fig.update_layout(title="Drawdown", yaxis_tickformat=".0%", **_LAYOUT)
    return fig


def weights(res: BacktestResult) -> go.Figure:
    """Held weights over time (stacked area, weekly samples), CASH included."""
    import plotly.graph_objects as go

    h = res.holdings.clip(lower=0.0)
    h = h.iloc[::7] if len(h) > 400 else h
    order = h.mean().sort_values(ascending=False).index
    x = list(h.index.strftime("%Y-%m-%d"))
    fig = go.Figure()
    for a in order:
        fig.add_trace(go.Scatter(x=x, y=h[a].to_numpy(dtype="float32"), name=a, stackgroup="w", mode="lines",
                                 line=dict(width=0.5)))  # fmt: skip
    fig.update_layout(title="Weights held (stacked)", yaxis_tickformat=".0%", yaxis_range=[0, 1], **_LAYOUT)
    return fig


def turnover_costs(res: BacktestResult) -> go.Figure:
    """Traded fraction per rebalance (bars) and cumulative fees and slippage (lines, USD)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if len(res.decisions):
        d = res.decisions
        width = 4 * 86_400_000  # ms: visible bars on a date axis
        fig.add_trace(go.Bar(x=d["executed"], y=0.5 * d["traded"], name="one-way turnover", width=width),
                      secondary_y=False)  # fmt: skip
    c = res.costs
    if len(c):
        for col, lab in (("fees", "fees (cum., USD)"), ("slippage", "slippage (cum., USD)")):
            x, y = thin(c[col].cumsum())
            fig.add_trace(go.Scatter(x=x, y=y, name=lab), secondary_y=True)
    fig.update_layout(title="Turnover per rebalance and cumulative costs", **_LAYOUT)
    fig.update_yaxes(tickformat=".0%", secondary_y=False)
    return fig


def monthly(res: BacktestResult) -> go.Figure:
    """Monthly returns heatmap (years x months)."""
    import plotly.graph_objects as go

    m = res.monthly_returns
    z = m.to_numpy()
    text = [[("" if not np.isfinite(v) else f"{v * 100:.1f}%") for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z, x=[pd.Timestamp(2000, k, 1).strftime("%b") for k in m.columns], y=[str(y) for y in m.index],
            text=text, texttemplate="%{text}", colorscale="RdYlGn", zmid=0, colorbar=dict(tickformat=".0%"),
        )
    )  # fmt: skip
    fig.update_layout(title="Monthly returns", **{**_LAYOUT, "hovermode": "closest"})
    fig.update_yaxes(autorange="reversed")
    return fig


def rolling(res: BacktestResult) -> go.Figure:
    """Plot the rolling 90-day Sharpe (left) and volatility (right) of the strategy and BTC."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from indexer.backtesting.metrics import rolling_metrics

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    curves = {res.name: res.equity}
    if "btc" in res.benchmarks:
        curves["btc"] = res.benchmarks["btc"].equity
    for name, eq in curves.items():
        r = rolling_metrics(eq, 90)
        lab = _label(res, name)
        x, y = thin(r["sharpe_90d"])
        fig.add_trace(go.Scatter(x=x, y=y, name=f"{lab} Sharpe 90d"), secondary_y=False)
        x, y = thin(r["volatility_90d"])
        fig.add_trace(go.Scatter(x=x, y=y, name=f"{lab} vol 90d", line=dict(dash="dot")), secondary_y=True)
    fig.update_layout(title="Rolling 90-day Sharpe and volatility", **_LAYOUT)
    fig.update_yaxes(tickformat=".0%", secondary_y=True)
    return fig


def diagnostics(res: BacktestResult) -> go.Figure | None:
    """Exposure (1 - CASH) and universe size per decision, and signal scores when present."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    d = res.diagnostics
    sc = res.scores
    if d.empty and sc.empty:
        return None
    rows = 2 if not sc.empty else 1
    fig = make_subplots(rows=rows, cols=1, specs=[[{"secondary_y": True}]] + ([[{}]] if rows == 2 else []),
                        subplot_titles=["Exposure and universe size", "Signal scores"][:rows], vertical_spacing=0.12)  # fmt: skip
    if not d.empty:
        fig.add_trace(go.Scatter(x=d.index, y=d["exposure"], name="exposure", mode="lines+markers"), 1, 1)
        fig.add_trace(go.Scatter(x=d.index, y=d["universe"], name="universe size", line=dict(dash="dot")), 1, 1,
                      secondary_y=True)  # fmt: skip
    if not sc.empty:
        s = sc.astype(float)
        fig.add_trace(go.Heatmap(z=s.T.to_numpy(), x=s.index, y=list(s.columns), colorscale="RdBu", zmid=0,
                                 showscale=False, name="scores"), 2, 1)  # fmt: skip
    fig.update_layout(title="Signal and model diagnostics", **{**_LAYOUT, "height": 420 * rows})
    fig.update_yaxes(tickformat=".0%", row=1, col=1, secondary_y=False)
    return fig


#: Chart id -> builder, in report order.
FIGURES = {
    "equity": equity,
    "drawdown": drawdowns,
    "weights": weights,
    "turnover": turnover_costs,
    "monthly": monthly,
    "rolling": rolling,
    "diagnostics": diagnostics,
}


def all_figures(res: BacktestResult) -> dict[str, go.Figure]:
    """Every chart that applies to ``res`` (diagnostics only when the strategy reports them)."""
    out = {}
    for key, build in FIGURES.items():
        fig = build(res)
        if fig is not None:
            out[key] = fig
    return out
