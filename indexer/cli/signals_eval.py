"""``indexer signals sentiment-eval`` and ``indexer signals cpcv``: honest evaluation of the text model and the blends."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from indexer.cli.common import console, handle_errors
from indexer.cli.signals_research import _rich

__all__ = ["register_eval", "SENTIMENT_COMMAND", "CPCV_COMMAND"]

SENTIMENT_COMMAND = "indexer signals sentiment-eval --readme README.md"
CPCV_COMMAND = "indexer signals cpcv --readme README.md"


def _sentiment_markdown(ho, ic, cov, span: str) -> str:
    from indexer.research.markdown import md_table
    from indexer.research.sentiment_eval import LABEL_SETS

    labels = "\n".join(f"- `{k}`: {v}" for k, v in LABEL_SETS.items())
    return "\n".join([
        f"News {span}, all dated texts; each model learns one label set:", "", labels, "",
        "**Time-ordered hold-out (latest 20 % of each label set, 7-day gap): accuracy, macro-F1, AUC (fractions)**", "",
        md_table(ho[["accuracy", "macro_f1", "auc", "n_train", "n_test", "test"]]), "",
        "**IC only where there is news** (7-day forward returns; cross-sectional over assets with a value, "
        "Newey-West t and 95 % CI; BTC time-series IC on non-overlapping dates)", "",
        md_table(ic), "",
        "**Coverage of the forward-return sentiment signal per asset** (share of news-span days with a value)", "",
        md_table(cov), "",
        f"Regenerate: `{SENTIMENT_COMMAND}`.", "",
    ])


def register_eval(group: typer.Typer) -> None:
    """Add ``sentiment-eval`` and ``cpcv`` to the ``indexer signals`` group."""

    @group.command("sentiment-eval")
    @handle_errors
    def sentiment_eval(
        readme: Optional[Path] = typer.Option(None, "--readme", help="Rewrite the README's sentiment-eval section."),
        markdown: Optional[Path] = typer.Option(None, "--markdown", help="Also write the tables as markdown here."),
    ) -> None:
        """Text model vs VADER lexicon vs majority class per label set; sentiment coverage and IC where there is news."""
        import pandas as pd

        from indexer.data import load_reference
        from indexer.exceptions import DataError
        from indexer.research.markdown import update_section
        from indexer.research.sentiment_eval import coverage_table, holdout_table, label_sets, news_ic, news_panels, vader_scores

        full = load_reference(full_history=True)
        texts = full.sentiment.texts
        if texts is None or len(texts) == 0:
            raise DataError("the reference data holds no dated news texts; nothing to evaluate")
        t0, t1 = texts["timestamp"].min(), texts["timestamp"].max()
        data = full.between(t0, t1 + pd.Timedelta(days=40))  # forward returns of the last texts
        stables = set(full.assets.stablecoins())
        data = data.select([a for a in data.symbols if a not in stables])
        texts = data.sentiment.texts
        with console.status("labels, VADER scores and the time-ordered hold-out ...") as st:
            labs = label_sets(texts, data.close)
            vader = vader_scores(texts)
            ho = holdout_table(texts, labs, vader)
            st.update("walk-forward sentiment panels (text model refitted every 30 days) ...")
            panels = news_panels(data, labs, vader)
            ic = news_ic(panels, data.close)
            cov = coverage_table(panels["tfidf[forward_return]"], texts, data)
        span = f"{t0:%Y-%m-%d}..{t1:%Y-%m-%d} ({len(texts)} texts)"
        _rich(f"Text sentiment on a time-ordered hold-out, news {span}", ho)
        _rich("Sentiment IC where there is news (7-day forward returns)", ic)
        _rich("Coverage per asset (forward-return sentiment signal)", cov)
        md = _sentiment_markdown(ho, ic, cov, span)
        if markdown is not None:
            markdown.write_text(md, encoding="utf-8")
        if readme is not None:
            update_section(readme, "sentiment-eval", md, SENTIMENT_COMMAND)
            console.print(f"README section sentiment-eval updated in {readme}")
