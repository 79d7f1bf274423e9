"""``report.html``: one self-contained, offline file (plotly's JavaScript inline, no network)."""

from __future__ import annotations

import functools
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.backtesting.attribution import attribution_html
from indexer.backtesting.benchmarks import BENCHMARK_LABELS
from indexer.backtesting.format import display_table
from indexer.backtesting.report.figures import TEMPLATE, figure_specs
from indexer.backtesting.result import jsonable

if TYPE_CHECKING:  # pragma: no cover
    from indexer.backtesting.result import BacktestResult

__all__ = ["write_html", "render_html"]

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1200px;padding:16px;color:#222}
h1{margin-bottom:0}.sub{color:#666;margin-top:4px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}th:first-child,td:first-child{text-align:left}
thead th{background:#f4f4f4}pre{background:#f7f7f7;padding:10px;overflow:auto;font-size:12px;max-height:420px}
.chart{margin:18px 0}.warn{color:#a40}section{margin-top:24px}
"""
#: plotly.js config of every chart (as ``fig.to_html`` wrote it for a 100%-wide div).
_CONFIG = '{"displaylogo": false, "responsive": true}'


def _table(df: Any) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in ["", *df.columns])
    rows = "".join(
        "<tr>" + f"<td>{html.escape(str(i))}</td>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>"
        for i, r in zip(df.index, df.to_numpy(), strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _provenance(prov: Any, limit: int = 20_000) -> str:
    text = json.dumps(jsonable(dict(prov or {})), indent=2, default=str)
    if len(text) > limit:
        text = text[:limit] + f"\n... ({len(text) - limit} more characters)"
    return text


def _script_json(obj: Any) -> str:
    """Return ``obj`` as JSON to inline in a ``<script>``: a name holding ``</script>`` cannot end the element."""
    from plotly.io.json import to_json_plotly

    return to_json_plotly(obj).replace("</", "<\\/")


@functools.lru_cache(maxsize=1)
def _template_json() -> str:
    """Return the :data:`~indexer.backtesting.report.figures.TEMPLATE` plotly template as JSON (built once per process)."""
    import plotly.io as pio
    from plotly.io.json import to_json_plotly

    return to_json_plotly(pio.templates[TEMPLATE].to_plotly_json())


def _charts(res: BacktestResult) -> str:
    """Return the chart divs, each followed by the script that draws it with the page's template.

    The specs are plain plotly JSON (:func:`~indexer.backtesting.report.figures.figure_specs`);
    the template is defined once in the page (``INDEXER_PLOTLY_TEMPLATE``) and set as each
    layout's ``template`` in JavaScript, not copied into every figure.
    """
    parts = []
    for k, spec in figure_specs(res).items():
        layout = spec["layout"]
        parts.append(
            f'<div class="chart" id="chart-{k}"><div id="plot-{k}" class="plotly-graph-div" '
            f'style="height:{layout["height"]}px; width:100%;"></div></div>\n'
            f'<script type="text/javascript">(function () {{ var layout = {_script_json(layout)}; '
            f"layout.template = INDEXER_PLOTLY_TEMPLATE; "
            f'Plotly.newPlot("plot-{k}", {_script_json(spec["data"])}, layout, {_CONFIG}); }})();</script>\n'
        )
    return "".join(parts)


def render_html(res: BacktestResult) -> str:
    """Return the report as one HTML string."""
    from plotly.offline import get_plotlyjs

    stats = {res.name: res.stats, **{BENCHMARK_LABELS.get(k, k): b.stats for k, b in res.benchmarks.items()}}
    charts = _charts(res)
    st = res.settings
    costs = st.get("costs", {})
    errors = st.get("benchmark_errors") or {}
    warn = "".join(f'<p class="warn">benchmark {html.escape(k)} not run: {html.escape(v)}</p>' for k, v in errors.items())
    warn += "".join(f'<p class="warn">warning: {html.escape(w)}</p>' for w in st.get("stat_warnings") or [])
    if st.get("cash_decisions"):
        warn += f'<p class="warn">100% CASH (empty universe) at: {html.escape(", ".join(st["cash_decisions"]))}</p>'
    if st.get("manifest"):
        m = st["manifest"]
        warn += (f'<p class="sub">run manifest: strategy sha256 {html.escape(str(m.get("strategy_sha256")))} · '
                 f'data {html.escape(str(m.get("data_fingerprint")))} · written {html.escape(str(m.get("written_at_utc")))} UTC</p>')
    dec = res.decisions.tail(24).copy()
    if len(dec):
        dec = dec.assign(
            as_of=dec["as_of"].map(lambda t: f"{t:%Y-%m-%d}"),
            executed=dec["executed"].map(lambda t: f"{t:%Y-%m-%d}"),
            cash=dec["cash"].map(lambda v: f"{v:.1%}"),
            traded=dec["traded"].map(lambda v: f"{v:.1%}"),
        ).set_index("as_of")
    last_w = res.weights.iloc[-1] if len(res.weights) else None
    weights_tbl = ""
    if last_w is not None:
        lw = last_w[last_w > 5e-5].sort_values(ascending=False).map(lambda v: f"{v:.2%}").to_frame("weight")
        weights_tbl = f"<h3>Last target ({res.weights.index[-1]:%Y-%m-%d})</h3>" + _table(lw)
    diag = res.diagnostics
    model_html = ""
    if not diag.empty:
        keep = [c for c in ("universe", "exposure", "status", "fallback", "model_status", "n_train", "train_end",
                            "overlays") if c in diag and diag[c].notna().any() and (diag[c] != "").any()]  # fmt: skip
        tail = diag[keep].tail(12).copy()
        tail.index = [f"{t:%Y-%m-%d}" for t in tail.index]
        if "exposure" in tail:
            tail["exposure"] = tail["exposure"].map(lambda v: f"{float(v):.1%}" if v is not None else "")
        if "train_end" in tail:
            tail["train_end"] = tail["train_end"].map(lambda v: str(v)[:10] if v else "")
        model_html = "<section><h2>Optimiser, model and overlay diagnostics (last 12 decisions)</h2>" + _table(tail) + "</section>"
    member_html = _membership_html(res)
    compliance = [e for tp in res.targets for e in (tp.diagnostics.get("compliance_log") or [])]
    comp_html = ""
    if compliance:
        comp_html = "<section><h2>Compliance log</h2><pre>" + html.escape(
            json.dumps(jsonable(compliance[-200:]), indent=1)
        ) + "</pre></section>"  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Backtest: {html.escape(res.name)}</title>
<style>{_CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
<script type="text/javascript">var INDEXER_PLOTLY_TEMPLATE = {_template_json()};</script></head>
<body>
<h1>Backtest: {html.escape(res.name)}</h1>
<p class="sub">{st.get("start", "")[:10]} to {st.get("end", "")[:10]} (UTC, daily bars) · decisions at the close of t,
filled at the {"close of the next bar" if st.get("execution") == "next_close" else "same close (look-ahead test mode)"} ·
fee {costs.get("effective_fee", 0):.2%} · slippage {costs.get("slippage", 0):.2%} + impact {costs.get("impact", 0)} ·
initial {st.get("init_cash", 0):,.0f} USD</p>
{warn}
<section><h2>Statistics (365-day annualisation)</h2>{_table(display_table(stats))}</section>
{attribution_html(res)}
{charts}
<section><h2>Recent decisions</h2>{_table(dec) if len(dec) else "<p>none</p>"}{weights_tbl}</section>
{model_html}
{member_html}
{comp_html}
<section><h2>Strategy file</h2><pre>{html.escape(res.strategy_text or "(not a file)")}</pre></section>
<section><h2>Settings</h2><pre>{html.escape(json.dumps(jsonable(st), indent=2))}</pre></section>
<section><h2>Data provenance</h2><pre>{html.escape(_provenance(res.provenance))}</pre></section>
</body></html>
"""


def _membership_html(res: BacktestResult) -> str:
    """Point-in-time membership section: members without daily prices and collapsed coins held ("" if none)."""
    from indexer.backtesting.membership_report import collapsed_held, unholdable_members

    miss, held = unholdable_members(res), collapsed_held(res)
    if miss.empty and held.empty:
        return ""
    fmt = lambda df: df.assign(**{c: df[c].map(lambda t: f"{t:%Y-%m-%d}") for c in ("first", "last") if c in df},  # noqa: E731
                               **{c: df[c].map(lambda v: f"{v:.2%}") for c in df.columns if "weight" in c}).set_index("asset")
    parts = ["<section><h2>Point-in-time membership</h2>"]
    parts.append("<h3>Members it could not hold (no daily prices)</h3>" + (_table(fmt(miss)) if len(miss) else "<p>none</p>"))
    parts.append("<h3>Collapsed coins it held</h3>" + (_table(fmt(held)) if len(held) else "<p>none</p>"))
    return "".join(parts) + "</section>"


def write_html(res: BacktestResult, path: str | Path) -> Path:
    """Write the report to ``path`` atomically; returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".html.tmp")
    tmp.write_text(render_html(res), encoding="utf-8")
    tmp.replace(p)
    return p
