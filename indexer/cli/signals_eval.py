"""``indexer signals sentiment-eval`` and ``indexer signals cpcv``: honest evaluation of the text model and the blends."""

from __future__ import annotations

from pathlib import Path

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
    register_cpcv(group)

    @group.command("sentiment-eval")
    @handle_errors
    def sentiment_eval(
        readme: Path | None = typer.Option(None, "--readme", help="Rewrite the README's sentiment-eval section."),
        markdown: Path | None = typer.Option(None, "--markdown", help="Also write the tables as markdown here."),
    ) -> None:
        """Text model vs VADER lexicon vs majority class per label set; sentiment coverage and IC where there is news."""
        import pandas as pd

        from indexer.data import load_reference
        from indexer.exceptions import DataError
        from indexer.research.markdown import update_section
        from indexer.research.sentiment_eval import (
            coverage_table,
            holdout_table,
            label_sets,
            news_ic,
            news_panels,
            vader_scores,
        )

        full = load_reference(full_history=True)
        texts = full.sentiment.texts
        if texts is None or len(texts) == 0:
            raise DataError("the reference data holds no dated news texts; nothing to evaluate")
        t0, t1 = texts["timestamp"].min(), texts["timestamp"].max()
        data = full.between(t0, t1 + pd.Timedelta(days=40))  # forward returns of the last texts
        stables = set(full.assets.stablecoins())
        data = data.select([a for a in data.symbols if a not in stables])
        texts = data.sentiment.texts
        assert texts is not None  # between() and select() keep the texts checked above
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


def _cpcv_markdown(res, strategy: str) -> str:
    from indexer.research.markdown import md_table

    d, p = res.dsr, res.pbo
    return "\n".join([
        f"Combinatorial purged CV of `{strategy}`'s signals, {res.period} (design period), {res.n_assets} non-stablecoin assets "
        f"({res.membership}): "
        f"{res.n_splits} splits, {res.n_paths} out-of-sample paths, purge {res.purge} days, embargo {res.embargo} days "
        "(skfolio `CombinatorialPurgedCV`). Sharpe = annualised information ratio of the top third by prediction over the "
        "equal-weight universe (daily, no costs); IC = mean daily Spearman IC vs 30-day forward returns. Fixed blends are not "
        "fitted, so their paths coincide.", "",
        md_table(res.summary()), "",
        f"- Probability of backtest overfitting (CSCV, {p['n_blocks']} blocks, {p['n_combinations']} combinations, "
        f"{p['n_configs']} configurations): **PBO = {p['pbo']:.2f}**; OOS-on-IS Sharpe slope {p['degradation']:+.2f}.",
        f"- Chosen (best median path Sharpe): **{res.chosen}**; deflated Sharpe ratio **{d['dsr']:.2f}** "
        f"(Sharpe {d['sr'] * 365 ** 0.5:+.2f} a year vs {d['sr0'] * 365 ** 0.5:.2f} expected from the best of "
        f"{d['n_trials']} unskilled trials; PSR vs 0 = {d['psr0']:.2f}; {d['n']} days, skew {d['skew']:+.2f}, kurtosis {d['kurtosis']:.1f}).",
        f"- Equal-weight universe (the active returns' benchmark) Sharpe over the same days: {res.benchmark_sharpe:+.2f} a year.", "",
        f"Regenerate: `{CPCV_COMMAND}`.", "",
    ])


def _cpcv_plot(res, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(14, 5))
    res.path_sharpe.boxplot(ax=ax[0], rot=30)
    ax[0].axhline(0, color="k", lw=0.5)
    ax[0].set_title(f"CPCV out-of-sample path Sharpe (active, annualised), {res.period}")
    ax[1].hist(res.pbo["logits"], bins=40)
    ax[1].axvline(0, color="r", lw=1)
    ax[1].set_title(f"CSCV logits of the IS winner's OOS rank; PBO = {res.pbo['pbo']:.2f}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def register_cpcv(group: typer.Typer) -> None:
    """Add ``cpcv`` to the ``indexer signals`` group."""

    @group.command("cpcv")
    @handle_errors
    def cpcv(
        strategy: Path = typer.Argument(Path("strategies/ai_index.yaml"), help="Strategy YAML whose signals: block to evaluate."),
        start: str = typer.Option("2017-01-01", "--start", help="First day (UTC) of the design period."),
        end: str = typer.Option("2022-12-31", "--end", help="Last day (UTC) of the design period."),
        n_folds: int = typer.Option(8, "--folds", min=3, help="Consecutive folds."),
        n_test_folds: int = typer.Option(2, "--test-folds", min=2, help="Folds tested per split."),
        embargo: int = typer.Option(10, "--embargo", min=0, help="Days embargoed after each test fold."),
        readme: Path | None = typer.Option(None, "--readme", help="Rewrite the README's signals-cpcv section."),
        out: Path = typer.Option(Path("signals_cpcv.png"), "--out", help="Where to write the plot (PNG)."),
        point_in_time: bool = typer.Option(
            True, "--point-in-time/--survivors",
            help="Cross-sections of point-in-time index members (the design era's rule) or every reference asset.",
        ),
    ) -> None:
        """CPCV distributions of OOS Sharpe and IC for fixed, ridge and gradient-boosting blends; PBO; deflated Sharpe."""
        from indexer.data import load_reference
        from indexer.exceptions import ConfigError
        from indexer.research.cpcv import cpcv_evaluate
        from indexer.research.markdown import update_section
        from indexer.strategy import Strategy

        spec = Strategy.from_yaml(strategy).spec.signals
        if spec is None:
            raise ConfigError(f"{strategy}: the strategy has no signals: block to evaluate")
        if n_test_folds >= n_folds:
            raise ConfigError(f"--test-folds ({n_test_folds}) must be smaller than --folds ({n_folds})")
        full = load_reference(full_history=True)
        stables = set(full.assets.stablecoins())
        data = full.between(start, end)
        data = data.select([a for a in data.symbols if a not in stables and data.close[a].notna().any()])
        cand, rule = None, None
        if point_in_time:
            from indexer.research.eras import era_membership, get_era

            cand, rule = era_membership(full, get_era("design"), data.close.index, data.symbols)
        with console.status("CPCV ...") as st:
            res = cpcv_evaluate(data, spec, n_folds=n_folds, n_test_folds=n_test_folds, embargo=embargo,
                                progress=lambda m: st.update(m), candidates=cand, membership=rule)
        _rich(f"CPCV {res.period}: {res.n_splits} splits, {res.n_paths} paths, purge {res.purge}d, embargo {res.embargo}d", res.summary())
        md = _cpcv_markdown(res, strategy.stem)
        console.print(md, highlight=False, markup=False, soft_wrap=True)
        _cpcv_plot(res, out)
        console.print(f"plot written to {out}")
        if readme is not None:
            update_section(readme, "signals-cpcv", md, CPCV_COMMAND)
            console.print(f"README section signals-cpcv updated in {readme}")
