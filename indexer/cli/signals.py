"""``indexer signals list|report``: registered signals and their out-of-sample evaluation."""

from __future__ import annotations

from pathlib import Path

import typer

from indexer.cli.common import console, handle_errors

__all__ = ["register"]

LABEL_NOTE = (
    "news_sentiment = walk-forward TF-IDF + logistic-regression text model; its training labels are the "
    "price momentum that followed each article (not human sentiment)"
)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:+.3f}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def _print_table(title: str, table, caption: str = "") -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    out = Console(width=max(console.width, 160), highlight=False)
    t = Table(title=title, caption=caption or None, show_lines=False)
    t.add_column(table.index.name or "", style="bold")
    for c in table.columns:
        t.add_column(str(c), justify="right")
    for name, row in table.iterrows():
        t.add_row(escape(str(name)), *[escape(_fmt(v)) for v in row.tolist()])
    out.print(t)


def _plot(path: Path, xs, ts_table, horizon: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table, extra = xs
    fig, axes = plt.subplots(1, 3, figsize=(18, 5))
    roll = extra["ic"].rolling(180, min_periods=60).mean()
    roll.plot(ax=axes[0], lw=1)
    axes[0].axhline(0, color="k", lw=0.5)
    axes[0].set_title(f"Cross-sectional Spearman IC ({horizon}d fwd), 180-day rolling mean")
    axes[0].legend(fontsize=7)
    decay_cols = [c for c in table.columns if c.startswith("IC") and c.endswith("d")]
    order = sorted(decay_cols, key=lambda c: int(c[2:-1]))
    table[order].T.rename(index=lambda c: c[2:]).plot(ax=axes[1], marker="o")
    axes[1].axhline(0, color="k", lw=0.5)
    axes[1].set_title("IC decay: mean IC by forward horizon")
    axes[1].set_xlabel("horizon")
    axes[1].legend(fontsize=7)
    if ts_table is not None and len(ts_table):
        ts_table["tsIC"].plot.barh(ax=axes[2])
        axes[2].set_title("BTC time-series IC (non-overlapping dates)")
        axes[2].axvline(0, color="k", lw=0.5)
    else:
        axes[2].axis("off")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def register(app: typer.Typer) -> None:
    """Add the ``signals`` command group to ``app``."""
    group = typer.Typer(help="Signals: list the registered ones, evaluate them (IC report).", no_args_is_help=True)
    app.add_typer(group, name="signals")
    from indexer.cli.signals_eval import register_eval

    register_eval(group)  # sentiment-eval, cpcv (research evidence)

    @group.command("list")
    @handle_errors
    def list_signals() -> None:
        """List the registered signal names, their default lookback (bars) and what each computes."""
        from rich.table import Table

        from indexer.signals import available, get

        t = Table(title="Registered signals (higher = more attractive)")
        for c in ("name", "lookback", "parameters", "what"):
            t.add_column(c)
        for n in available():
            s = get(n)
            params = ", ".join(f"{k}={v}" for k, v in s.get_params().items())
            t.add_row(n, str(s.lookback), params, type(s).summary)
        console.print(t)

    @group.command("report")
    @handle_errors
    def report(
        strategy: Path | None = typer.Argument(None, help="Strategy YAML whose signals: block to evaluate."),
        signals: str | None = typer.Option(None, "--signals", help="Comma-separated signal names (instead of a strategy)."),
        model: str = typer.Option("ridge", "--model", help="Blend for --signals: fixed, ridge or gbr."),
        horizon: int = typer.Option(30, "--horizon", help="Forward-return horizon for the IC table, days."),
        out: Path = typer.Option(Path("signals_report.png"), "--out", help="Where to write the plot (PNG)."),
        onchain: bool = typer.Option(True, "--onchain/--no-onchain", help="Also BTC time-series IC of the on-chain signals (2014-2019-06)."),
        text_model: bool = typer.Option(True, "--text-model/--no-text-model", help="Also the text model's held-out accuracy."),
        start: str | None = typer.Option(None, "--start", help="First day (UTC) of the evaluation."),
        end: str | None = typer.Option(None, "--end", help="Last day (UTC) of the evaluation."),
        era: str | None = typer.Option(
            None, "--era", help="Per-era evidence instead: onchain, news, market, all (comma-separated); HAC CIs, Holm/Bonferroni."
        ),
        readme: Path | None = typer.Option(None, "--readme", help="With --era: rewrite the README's signal-eras section."),
        markdown: Path | None = typer.Option(None, "--markdown", help="With --era: also write the tables as markdown here."),
    ) -> None:
        """Out-of-sample IC table of a strategy's signals and blend on the reference data, plus a plot.

        With --era: per-era evidence (IC vs 7/30-day returns with Newey-West CIs, decay, quintile
        spreads and turnover, time-series tests of market-wide inputs, multiple-testing adjustment).
        """
        if era is not None:
            from indexer.cli.signals_research import era_report

            era_report(era, readme, markdown, out if out != Path("signals_report.png") else Path("signals_eras.png"))
            return
        import pandas as pd

        from indexer.data import load_reference
        from indexer.exceptions import ConfigError
        from indexer.signals.report import cross_sectional_report, default_spec, time_series_report

        if strategy is not None:
            from indexer.strategy import Strategy

            spec = Strategy.from_yaml(strategy).spec.signals
            if spec is None:
                raise ConfigError(f"{strategy}: the strategy has no signals: block to evaluate")
            title = f"{strategy.name}"
        else:
            names = [n.strip() for n in signals.split(",") if n.strip()] if signals else None
            try:
                spec = default_spec(names, model=model, horizon=horizon)
            except ValueError as exc:
                raise ConfigError(f"--signals/--model: {exc}") from None
            title = ",".join(spec.labels)
        full = load_reference(full_history=True)
        data = load_reference().between(start, end)
        stables = set(data.assets.stablecoins())
        assets = [a for a in data.symbols if a not in stables]
        with console.status(f"computing signals and the {spec.model.type} blend (walk-forward) ..."):
            xs = cross_sectional_report(data.select(assets), spec, horizon=horizon)
        _print_table(
            f"{title}: cross-sectional Spearman IC, {len(assets)} non-stablecoin reference assets "
            f"({data.start.date()}..{data.end.date()}); blend out-of-sample",
            xs[0],
            f"t on non-overlapping {horizon}-day dates; spread = top-minus-bottom tercile {horizon}d return (fraction); "
            + LABEL_NOTE,
        )
        ts_table = None
        if onchain:
            from indexer.signals import ScoringSpec

            oc = ScoringSpec(
                signals=[{"name": n} for n in ("active_address_growth", "tx_count_growth", "fee_revenue", "nvt")]
                + [{"name": "momentum", "params": {"horizon": 90}}, {"name": "trend_tstat"}],
                normalise="ts_zscore",
                winsor=0.01,
                model={"type": "ridge" if model == "fixed" else model, "horizon": horizon, "refit_every": 90,
                       "sample_every": 1, "min_train": 365},
            )
            ts_table = pd.concat(
                [
                    time_series_report(full.between(None, "2019-06-30"), oc, "BTC", horizon=horizon),
                    time_series_report(data, ScoringSpec(signals=[{"name": "news_sentiment"}]), "BTC", horizon=7),
                    time_series_report(data, ScoringSpec(signals=[{"name": "fear_greed"}]), "BTC", horizon=horizon),
                ]
            )
            _print_table("BTC time-series Spearman IC on non-overlapping dates (on-chain: BTC to 2019-06; news 2022-10..2023-05; Fear & Greed 2020..2025)", ts_table)
        if text_model and data.sentiment.texts is not None:
            from indexer.models import evaluate_text_model

            ev = evaluate_text_model(full.sentiment.texts)
            console.print(
                f"text model (TF-IDF + logistic regression), time-ordered hold-out {ev.test_start}..: "
                f"accuracy {ev.accuracy:.3f} vs majority baseline {ev.baseline_accuracy:.3f}; macro-F1 {ev.macro_f1:.3f} vs "
                f"{ev.baseline_macro_f1:.3f} (train {ev.n_train}, test {ev.n_test} texts; labels = price momentum after the article)",
                highlight=False,
            )
        _plot(out, xs, ts_table, horizon)
        console.print(f"plot written to {out}")
