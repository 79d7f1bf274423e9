"""The report's charts as plain plotly JSON: thinning, hand-written subplot layouts, template once per page."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from indexer.backtesting.report.figures import THIN_ABOVE, diagnostics, thin

STRATEGIES = Path(__file__).resolve().parents[2] / "strategies"


@pytest.fixture(scope="module")
def res(reference):
    from indexer.backtesting import backtest

    return backtest(STRATEGIES / "top10_capped.yaml", reference, start="2023-01-01", end="2023-12-31")


def _layout_json(layout) -> dict:
    return {k: v for k, v in layout.to_plotly_json().items() if k != "template"}


def test_thin_keeps_weekly_points_troughs_and_ends() -> None:
    idx = pd.date_range("2020-01-01", periods=1000, freq="D", tz="UTC")  # a Wednesday
    s = pd.Series(np.sin(np.arange(1000) / 9.0) + np.arange(1000) / 500, index=idx)
    s.iloc[5] = np.nan
    x, y = thin(s)
    assert y.dtype == np.float32 and len(x) == len(y) and x[0] == "2020-01-01" and x[-1] == f"{idx[-1]:%Y-%m-%d}"
    assert all(pd.Timestamp(d).dayofweek == 6 for d in x[1:-1])  # each Monday-based week's last bar: a Sunday
    assert np.array_equal(y[1:-1], s.loc[pd.DatetimeIndex(x[1:-1], tz="UTC")].to_numpy(dtype="float32"))
    xm, ym = thin(s, keep="min")
    assert ym.min() == np.float32(s.min())  # the trough survives
    weekly = s.groupby((s.index - pd.Timestamp("2019-12-30", tz="UTC")).days // 7).min()
    assert set(ym.tolist()) == set(np.r_[s.iloc[0], weekly.to_numpy(), s.iloc[-1]].astype("float32").tolist())
    short = s.iloc[:THIN_ABOVE]
    assert thin(short)[0] == list(short.dropna().index.strftime("%Y-%m-%d"))


def test_diagnostics_layouts_match_make_subplots() -> None:
    from plotly.subplots import make_subplots

    idx = pd.date_range("2024-01-01", periods=4, freq="MS", tz="UTC")
    diag = pd.DataFrame({"exposure": [1.0, 0.8, 0.9, 1.0], "universe": [10, 11, 12, 12]}, index=idx)
    scores = pd.DataFrame({"BTC": [0.1, 0.2, -0.1, 0.0], "ETH": [-0.3, 0.1, 0.4, 0.2]}, index=idx)
    for sc, rows in ((pd.DataFrame(), 1), (scores, 2)):
        spec = diagnostics(SimpleNamespace(diagnostics=diag, scores=sc))
        assert spec is not None and spec["layout"]["height"] == 420 * rows
        ref = make_subplots(rows=rows, cols=1, specs=[[{"secondary_y": True}]] + ([[{}]] if rows == 2 else []),
                            subplot_titles=["Exposure and universe size", "Signal scores"][:rows], vertical_spacing=0.12)  # fmt: skip
        got = {k: v for k, v in spec["layout"].items() if k.startswith(("xaxis", "yaxis")) or k == "annotations"}
        got["yaxis"] = {k: v for k, v in got["yaxis"].items() if k != "tickformat"}
        assert got == _layout_json(ref.layout)
        assert [(t.get("xaxis"), t.get("yaxis")) for t in spec["data"]] == [("x", "y"), ("x", "y2"), ("x2", "y3")][: 1 + rows]
    assert diagnostics(SimpleNamespace(diagnostics=pd.DataFrame(), scores=pd.DataFrame())) is None


def test_specs_are_plain_json_and_figures_carry_the_template(res) -> None:
    import plotly.graph_objects as go
    import plotly.io as pio
    from plotly.io.json import to_json_plotly
    from plotly.subplots import make_subplots

    from indexer.backtesting.report import FIGURE_SPECS, FIGURES, all_figures, figure_specs

    specs = figure_specs(res)
    assert list(specs) == [k for k in FIGURE_SPECS if k in specs] and list(FIGURES) == list(FIGURE_SPECS)
    assert set(FIGURE_SPECS) - set(specs) <= {"diagnostics"}
    secondary = _layout_json(make_subplots(specs=[[{"secondary_y": True}]]).layout)
    for key, spec in specs.items():
        assert isinstance(spec, dict) and "template" not in spec["layout"], key
        assert all(isinstance(t, dict) and "type" in t for t in spec["data"]), key
        json.loads(to_json_plotly(spec))
        if key in ("turnover", "rolling"):
            axes = {k: {a: b for a, b in v.items() if a != "tickformat"} for k, v in spec["layout"].items() if k[1:5] == "axis"}
            assert axes == secondary, key
            assert {t["yaxis"] for t in spec["data"]} == {"y", "y2"}, key
    figs = all_figures(res)
    assert list(figs) == list(specs) and all(isinstance(f, go.Figure) for f in figs.values())
    assert figs["equity"].layout.template == pio.templates["plotly_white"]
    assert figs["equity"].layout.yaxis.type == "log" and figs["weights"].data[0].stackgroup == "w"
    assert FIGURES["monthly"](res).layout.template == pio.templates["plotly_white"]


def test_page_defines_the_template_once(res) -> None:
    from indexer.backtesting.report import figure_specs, render_html

    page = render_html(res)
    assert page.count("var INDEXER_PLOTLY_TEMPLATE = ") == 1
    for key, spec in figure_specs(res).items():
        assert f'<div id="plot-{key}" class="plotly-graph-div" style="height:{spec["layout"]["height"]}px; width:100%;">' in page
        assert page.count(f'Plotly.newPlot("plot-{key}", ') == 1
    assert page.count("layout.template = INDEXER_PLOTLY_TEMPLATE;") == len(figure_specs(res))
    assert '"template"' not in page.split("var INDEXER_PLOTLY_TEMPLATE = ", 1)[1].split("</script>", 1)[1]


def test_chart_json_cannot_end_its_script_element() -> None:
    import json

    from indexer.backtesting.report.html import _script_json

    text = _script_json({"name": "evil</script><script>alert(1)</script>", "y": [1.5, None]})
    assert "</" not in text
    assert json.loads(text) == {"name": "evil</script><script>alert(1)</script>", "y": [1.5, None]}
