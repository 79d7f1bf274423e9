"""``indexer signals report --era``: per-era signal evidence (tables, markdown for the README, plot)."""

from __future__ import annotations

from pathlib import Path

from indexer.cli.common import console

__all__ = ["era_report", "ERA_COMMAND"]

ERA_COMMAND = "indexer signals report --era onchain,news,market,all --readme README.md"


def _rich(title: str, table, caption: str = "") -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from indexer.research.markdown import cell, signed_columns

    out = Console(width=max(console.width, 160), highlight=False)
    frame = table.reset_index()
    sign = signed_columns(frame)
    t = Table(title=title, caption=caption or None)
    for c in frame.columns:
        t.add_column(str(c), justify="right")
    for _, row in frame.iterrows():
        t.add_row(*[escape(cell(str(c), v, 3, sign[str(c)])) for c, v in zip(frame.columns, row.tolist(), strict=True)])
    out.print(t)


def era_report(eras: str, readme: Path | None, markdown: Path | None, plot: Path | None) -> None:
    """``indexer signals report --era NAME[,NAME...]``: print (and optionally write) the per-era evidence."""
    from indexer.data import load_reference
    from indexer.research.era_report import run_eras, study_markdown
    from indexer.research.markdown import update_section

    names = [n.strip() for n in eras.split(",") if n.strip()]
    full = load_reference(full_history=True)
    with console.status("per-era signal evidence ...") as status:
        study = run_eras(full, names, progress=lambda msg: status.update(msg))
    for ev in study.results:
        _rich(f"{ev.era.label}: cross-sectional Spearman IC (Newey-West t, 95 % CI)", ev.ic,
              "p unadjusted; see the family table for Holm/Bonferroni")
        _rich(f"{ev.era.label}: IC decay", ev.decay)
        _rich(f"{ev.era.label}: top-minus-bottom quintile 30d forward return (fraction) and quintile turnover", ev.quintiles)
        if len(ev.timeseries):
            _rich(f"{ev.era.label}: time-series Spearman IC (non-overlapping dates)", ev.timeseries)
        for n in ev.notes:
            console.print(f"  note: {n}", highlight=False)
    f = study.family.dropna(subset=["p"]).sort_values("p").head(15)
    ex = study.exposure
    _rich(
        f"Multiple testing: {ex['tests']} tests with a p-value ({ex['tried']} tried: {ex['signals']} signals/inputs x "
        f"{ex['eras']} eras x {ex['horizons']} horizons); 15 smallest p",
        f.set_index(["era", "kind", "name", "h"]),
    )
    console.print(study.membership, highlight=False)
    md = study_markdown(study, ERA_COMMAND if readme is not None else f"indexer signals report --era {','.join(names)}")
    if markdown is not None:
        markdown.write_text(md, encoding="utf-8")
        console.print(f"markdown written to {markdown}")
    if readme is not None:
        update_section(readme, "signal-eras", md, ERA_COMMAND)
        console.print(f"README section signal-eras updated in {readme}")
    if plot is not None:
        from indexer.research.plots import plot_eras

        plot_eras(study, plot)
        console.print(f"plot written to {plot}")
