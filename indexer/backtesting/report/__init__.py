"""Reports of a backtest: a self-contained HTML tear sheet and PNG charts."""

from __future__ import annotations

from indexer.backtesting.report.figures import FIGURE_SPECS, FIGURES, all_figures, figure_specs
from indexer.backtesting.report.html import render_html, write_html
from indexer.backtesting.report.png import write_pngs

__all__ = ["write_html", "render_html", "write_pngs", "figure_specs", "FIGURE_SPECS", "all_figures", "FIGURES"]
