"""Run the per-era evidence over several eras and render it (rich tables in the CLI, markdown for the README)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from indexer.research.eras import get_era, membership_note
from indexer.research.evidence import CROSS_SECTIONAL, EraEvidence, adjust_family, era_evidence, signal_panels_full
from indexer.research.markdown import fmt_ci, fmt_num, md_table

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["EraStudy", "run_eras", "study_markdown", "candidates_table"]


@dataclass
class EraStudy:
    """Evidence of every era run, the multiple-testing family and the membership statement."""

    results: list[EraEvidence]
    family: pd.DataFrame
    exposure: dict[str, int]
    membership: str

    def holm(self, era: str, kind: str, name: str, h: int) -> float:
        """Return the Holm-adjusted p-value of one test (NaN when it was not run)."""
        f = self.family
        m = f[(f["era"] == era) & (f["kind"] == kind) & (f["name"] == name) & (f["h"] == h)]
        return float(m["p_holm"].iloc[0]) if len(m) else float("nan")


def run_eras(full: MarketData, names: Sequence[str], progress: Callable[[str], None] | None = None) -> EraStudy:
    """Evidence of each era in ``names`` on ``full`` (whole history), stablecoins excluded, one test family."""
    eras = [get_era(n) for n in names]
    stables = set(full.assets.stablecoins())
    universe = full.select([a for a in full.symbols if a not in stables])
    if progress:
        progress(f"computing {len(CROSS_SECTIONAL)} signal panels on {len(universe.symbols)} assets ...")
    panels = signal_panels_full(universe)
    results = []
    for e in eras:
        if progress:
            progress(f"era {e.label} ...")
        results.append(era_evidence(full, e, panels, exclude=stables))
    family, exposure = adjust_family(results)
    return EraStudy(results, family, exposure, membership_note(full))


def candidates_table(study: EraStudy) -> pd.DataFrame:
    """Per era: the candidate rule, the assets that were ever candidates, and candidates with a price per day."""
    rows = {}
    for ev in study.results:
        c = ev.candidates
        rule = ev.era.membership if "point-in-time" in ev.membership or ev.era.membership == "coinmetrics" else "survivors (no table)"
        rows[ev.era.label] = {
            "membership": rule, "assets": int(c.get("assets", 0)),
            "priced candidates/day (median)": int(c.get("median", 0)),
            "min..max": f"{int(c.get('min', 0))}..{int(c.get('max', 0))}",
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "era"
    return out


def _ic_cells(study: EraStudy, h: int) -> pd.DataFrame:
    cols = {}
    for ev in study.results:
        col = {}
        for sig in ev.ic.index.get_level_values(0).unique():
            r = ev.ic.loc[(sig, h)]
            cell = fmt_ci(r["IC"], r["ci_lo"], r["ci_hi"])
            p = study.holm(ev.era.name, "xs", sig, h)
            col[sig] = (cell + (" *" if p < 0.05 else "")) if cell else "no data"
        cols[ev.era.label] = col
    out = pd.DataFrame(cols)
    out.index.name = "signal"
    return out


def study_markdown(study: EraStudy, command: str) -> str:
    """README block: IC 30 d and 7 d tables with 95 % CIs, quintile spreads, time-series tests, exposure."""
    ex = study.exposure
    parts = [
        f"Cross-sectional Spearman IC with Newey-West 95 % confidence intervals (forward returns inside each era; "
        f"`*` = Holm-adjusted p < 0.05 over all {ex['tests']} tests of this run: {ex['signals']} signals/inputs x "
        f"{ex['eras']} eras x {ex['horizons']} horizons, {ex['tried']} tried). Regenerate: `{command}`.",
        "",
        "**30-day forward returns**",
        "",
        md_table(_ic_cells(study, 30)),
        "",
        "**7-day forward returns**",
        "",
        md_table(_ic_cells(study, 7)),
        "",
        "**Top-minus-bottom quintile 30-day return (fraction, NW t) and quintile turnover per 30-day rebalance**",
        "",
    ]
    q = {}
    for ev in study.results:
        q[ev.era.label] = {
            s: (f"{fmt_num(r['Q5-Q1_30d'])} (t {fmt_num(r['t_NW'], 1)}), turn {fmt_num(r['turnover'], 2, False)}"
                if r["days"] else "")
            for s, r in ev.quintiles.iterrows()
        }
    qt = pd.DataFrame(q)
    qt.index.name = "signal"
    parts += [md_table(qt[(qt != "").any(axis=1)]), ""]
    ts = study.family[study.family["kind"] == "ts"]
    if len(ts):
        t = ts.assign(input=ts["name"]).set_index(["era", "input", "h"])[["estimate", "p", "p_holm"]]
        t = t.rename(columns={"estimate": "tsIC"})
        parts += ["**Time-series tests (market-wide inputs; BTC-only on-chain metrics), non-overlapping dates**", "", md_table(t), ""]
    parts += ["**Candidates per era** (point-in-time membership; a coin counts on a day only while it is a member of the "
              "latest snapshot known that day and has a daily price and a signal value)", "", md_table(candidates_table(study)), ""]
    parts += ["Notes:", ""]
    parts += [f"- {study.membership}"]
    for ev in study.results:
        parts += [f"- {ev.era.label}: " + "; ".join(ev.notes)]
    return "\n".join(parts) + "\n"
