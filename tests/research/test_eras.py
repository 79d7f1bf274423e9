"""Per-era evidence: HAC statistics by hand, Holm/Bonferroni, eras on the real reference data, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from indexer.cli.main import app
from indexer.exceptions import ConfigError
from indexer.research.eras import ERAS, era_data, get_era
from indexer.research.evidence import era_evidence, signal_panels_full
from indexer.research.markdown import update_section
from indexer.research.stats import bonferroni, holm, newey_west_mean

SIGS = [("amihud", "amihud", {}), ("mom_30d", "momentum", {"horizon": 30}), ("nvt", "nvt", {}), ("news_volume", "news_volume", {})]


def test_newey_west_by_hand() -> None:
    x = np.array([0.3, -0.1, 0.2, 0.5, 0.1, -0.2, 0.4, 0.0, 0.3, 0.2, -0.1, 0.6])
    r = newey_west_mean(x, lags=2)
    e, n = x - x.mean(), len(x)
    gamma = [sum(e[t] * e[t - k] for t in range(k, n)) / n for k in range(3)]
    lrv = gamma[0] + 2 * (2 / 3 * gamma[1] + 1 / 3 * gamma[2])
    se = np.sqrt(lrv / n)
    assert r["se"] == pytest.approx(se, rel=1e-12) and r["t"] == pytest.approx(x.mean() / se)
    assert r["p"] == pytest.approx(2 * stats.norm.sf(abs(x.mean() / se)))
    assert r["lo"] == pytest.approx(x.mean() - 1.959964 * se, rel=1e-6)
    # overlapping 30-day returns: at least 29 lags
    assert newey_west_mean(np.random.default_rng(0).normal(size=500), 30)["lags"] == 29
    assert np.isnan(newey_west_mean(x[:5])["t"])  # too few observations: no inference


def test_holm_and_bonferroni_by_hand() -> None:
    p = [0.01, 0.04, 0.03, 0.005, np.nan]
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02, np.nan])
    np.testing.assert_allclose(bonferroni(p), [0.04, 0.16, 0.12, 0.02, np.nan])


def test_unknown_era_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown era 'bogus'; expected one of onchain, news, market, all, design, holdout"):
        get_era("bogus")


@pytest.fixture(scope="module")
def full(shared_data):
    from indexer.data import load_reference

    return load_reference(source=shared_data, full_history=True)


@pytest.fixture(scope="module")
def panels(full):
    stables = set(full.assets.stablecoins())
    return signal_panels_full(full.select([a for a in full.symbols if a not in stables]), SIGS)


def test_onchain_era_has_a_coinmetrics_cross_section(full, panels) -> None:
    data, notes = era_data(full, ERAS["onchain"])
    assert data.start >= pd.Timestamp("2018-01-01", tz="UTC") and data.end <= pd.Timestamp("2020-07-31", tz="UTC")
    n_oc = int(notes[0].split(" asset")[0])
    assert "with on-chain metrics" in notes[0] and n_oc >= 12
    assert any("Coin Metrics on-chain metrics" in n and "survivor-selected" in n for n in notes)
    ev = era_evidence(full, ERAS["onchain"], panels, exclude=set(full.assets.stablecoins()))
    # the era's candidates are the Coin Metrics assets: nvt has a 12-asset cross-section on the median day
    assert ev.ic.loc[("nvt", 30), "days"] > 800 and ev.ic.loc[("nvt", 30), "assets"] >= 12
    assert sorted(data.symbols) == sorted(notes[0].split(": ")[1].split(", "))
    assert ev.candidates["median"] >= 12 and ev.era.membership == "coinmetrics"


def test_btc_social_sentiment_is_tested_in_time_series(full, panels) -> None:
    from indexer.research.evidence import MIN_TS_OBS, SOCIAL_SENTIMENT_METRICS, _btc_social

    ev = era_evidence(full, ERAS["onchain"], panels, exclude=set(full.assets.stablecoins()))
    for target in ("BTC", "market_ew"):
        for h in (7, 30):
            assert ev.timeseries.loc[("btc_social_sentiment", target, h), "n"] >= MIN_TS_OBS
    assert ev.timeseries.loc[("btc_social_sentiment", "BTC", 7), "n"] > 100
    # the composite is the mean of the three sentiment metrics' expanding z-scores (no counts, no future)
    s = _btc_social(full)
    day = pd.Timestamp("2019-03-01", tz="UTC")
    z = []
    for m in SOCIAL_SENTIMENT_METRICS:
        x = full.metrics[m]["BTC"].loc[:day].dropna()
        z.append((x.iloc[-1] - x.mean()) / x.std())
    assert s.loc[day] == pytest.approx(np.mean(z), rel=1e-9)
    assert _btc_social(full.until(day)).loc[day] == pytest.approx(s.loc[day], rel=1e-12)
    # an input whose data end inside an era gets no test on a handful of dates (news era: social data end 2021-05)
    ev_news = era_evidence(full, ERAS["news"], panels, exclude=set(full.assets.stablecoins()))
    assert ("btc_social_sentiment", "BTC", 30) not in ev_news.timeseries.index
    assert any(n.startswith("btc_social_sentiment->BTC 30d:") and "not tested" in n for n in ev_news.notes)


def test_membership_mask_uses_the_latest_snapshot_known_each_day() -> None:
    from indexer.research.eras import membership_mask

    snap = lambda d: pd.Timestamp(d, tz="UTC")  # noqa: E731
    table = pd.DataFrame({
        "snapshot": [snap("2022-01-01"), snap("2022-01-01"), snap("2022-02-01")],
        "asset": ["DEAD", "BTC", "BTC"],
    })
    table["known_from"] = table["snapshot"] + pd.Timedelta(days=1)
    days = pd.date_range("2021-12-30", "2022-02-05", freq="D", tz="UTC")
    m = membership_mask(table, days, ["BTC", "DEAD", "ETH"])
    assert not m.loc[: snap("2022-01-01")].any().any()  # nothing is known before the first snapshot's known_from
    assert m.loc[snap("2022-01-02"):snap("2022-02-01"), "DEAD"].all()  # a member while its snapshot is the latest
    assert not m.loc[snap("2022-02-02"):, "DEAD"].any() and m.loc[snap("2022-02-02"):, "BTC"].all()
    assert not m["ETH"].any()


def test_point_in_time_candidates_in_the_cross_section(full, panels) -> None:
    """CVC is priced 2022-2025 but a top-200 member only 2022-01..2023-02: it counts while a member, not after it left."""
    from indexer.data.sources.cmc_membership import members_at

    era = ERAS["news"]
    stables = set(full.assets.stablecoins())
    ev = era_evidence(full, era, panels, exclude=stables)
    data, notes = era_data(full, era, exclude=stables)
    assert any("point-in-time members of cmc_monthly_top200" in n for n in notes) and ev.era.membership == "cmc_monthly_top200"
    table = full.membership["cmc_monthly_top200"]
    checked = 0
    for day, cvc_member in ((pd.Timestamp("2023-04-15", tz="UTC"), False), (pd.Timestamp("2022-06-15", tz="UTC"), True)):
        members = set(members_at(table, day)["asset"])
        assert ("CVC" in members) is cvc_member and data.close.loc[day, "CVC"] > 0  # priced on both days
        fwd = data.close.shift(-30).loc[day] / data.close.loc[day] - 1
        sig = panels["amihud"].reindex(columns=data.symbols).loc[day]
        ok = fwd.notna() & sig.notna() & sig.index.isin(sorted(members))
        assert bool(ok["CVC"]) == cvc_member
        assert ev.daily_ic["amihud|30d"].loc[day] == pytest.approx(stats.spearmanr(sig[ok], fwd[ok]).statistic, rel=1e-10)
        everyone = fwd.notna() & sig.notna()
        assert everyone["CVC"] and everyone.sum() >= ok.sum() + (not cvc_member)  # without membership CVC would count
        checked += 1
    assert checked == 2


def test_news_era_ic_matches_scipy_and_ignores_the_future(full, panels) -> None:
    era = ERAS["news"]
    stables = set(full.assets.stablecoins())
    ev = era_evidence(full, era, panels, exclude=stables)
    assert ev.ic.loc[("amihud", 30), "days"] > 700 and ev.ic.loc[("news_volume", 7), "days"] > 500
    row = ev.ic.loc[("amihud", 30)]
    assert row["ci_lo"] < row["IC"] < row["ci_hi"]
    # one day's IC by hand
    day = pd.Timestamp("2022-03-01", tz="UTC")
    data, _ = era_data(full, era, exclude=stables)
    fwd = data.close.shift(-30).loc[day] / data.close.loc[day] - 1
    sig = panels["amihud"].loc[day, data.symbols]
    from indexer.data.sources.cmc_membership import members_at

    ok = fwd.notna() & sig.notna() & sig.index.isin(sorted(members_at(full.membership["cmc_monthly_top200"], day)["asset"]))
    assert ev.daily_ic["amihud|30d"].loc[day] == pytest.approx(stats.spearmanr(sig[ok], fwd[ok]).statistic, rel=1e-10)
    # forward windows stay inside the era: data after the era's end changes nothing
    cut = full.between(None, era.end)
    panels_cut = signal_panels_full(cut.select([a for a in cut.symbols if a not in stables]), SIGS)
    ev_cut = era_evidence(cut, era, panels_cut, exclude=stables)
    pd.testing.assert_frame_equal(ev.ic[["IC", "t_NW", "days"]], ev_cut.ic.loc[ev.ic.index, ["IC", "t_NW", "days"]], atol=1e-12)


def test_update_section_replaces_only_between_markers(tmp_path: Path) -> None:
    p = tmp_path / "R.md"
    p.write_text("a\n<!-- k:start -->\nold\n<!-- k:end -->\nb\n")
    update_section(p, "k", "| x |\n", "cmd --x")
    assert p.read_text() == "a\n<!-- k:start (generated by cmd --x) -->\n| x |\n<!-- k:end -->\nb\n"
    p.write_text("no markers\n")
    with pytest.raises(ConfigError, match="markers <!-- k:start --> ... <!-- k:end --> not found"):
        update_section(p, "k", "x", "cmd")
    assert p.read_text() == "no markers\n"


def test_cli_era_report_writes_markdown_and_refuses_bad_input(reference, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["signals", "report", "--era", "bogus"])
    assert res.exit_code == 2 and "unknown era 'bogus'" in res.output
    readme = tmp_path / "README.md"
    readme.write_text("x\n")
    res = CliRunner().invoke(app, ["signals", "report", "--era", "news", "--readme", str(readme), "--out", str(tmp_path / "e.png")])
    assert res.exit_code == 2 and "markers <!-- signal-eras:start -->" in res.output and readme.read_text() == "x\n"
    readme.write_text("x\n<!-- signal-eras:start -->\n<!-- signal-eras:end -->\n")
    md = tmp_path / "eras.md"
    res = CliRunner().invoke(app, ["signals", "report", "--era", "news", "--readme", str(readme), "--markdown", str(md), "--out", str(tmp_path / "e.png")])
    assert res.exit_code == 0, res.output
    text = readme.read_text()
    assert "**30-day forward returns**" in text and "news (2021-01..2023-05)" in text and "membership:" in text
    assert md.read_text() in text and (tmp_path / "e.png").stat().st_size > 10_000
    assert "Multiple testing" in res.output


def test_era_outside_the_data_is_a_clear_error(full) -> None:
    early = full.between(None, "2019-12-31")
    with pytest.raises(ConfigError, match=r"era news \(2021-01..2023-05\): the reference data covers .*\.\.2019-12-31, nothing inside the era"):
        era_data(early, ERAS["news"])
