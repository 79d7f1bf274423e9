"""Reports of a backtest: a self-contained HTML tear sheet and PNG charts."""

from __future__ import annotations

from indexer.backtesting.report.figures import FIGURES, all_figures
from indexer.backtesting.report.html import render_html, write_html
from indexer.backtesting.report.png import write_pngs

__all__ = ["write_html", "render_html", "write_pngs", "all_figures", "FIGURES"]
