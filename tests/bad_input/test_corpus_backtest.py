"""``indexer backtest`` refusals: bad options and output folders give exit 2, one line, and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from badkit import REPO, assert_refused, snapshot

STRATEGY = REPO / "strategies" / "top10_capped.yaml"
QUICK = ["--start", "2024-01-01", "--end", "2024-03-01", "--no-benchmarks", "--no-report"]

#: case -> (extra args, needles)
CASES: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "start_before_data": (["--start", "2010-01-01"], ("start 2010-01-01 is outside the data", "2017-01-01 .. 2025-10-24")),
    "end_after_data": (["--end", "2031-01-01"], ("end 2031-01-01 is outside the data", "2017-01-01 .. 2025-10-24")),
    "end_before_start": (["--start", "2024-03-01", "--end", "2024-01-01"], ("end 2024-01-01 is not after start 2024-03-01",)),
    "bad_start_date": (["--start", "2024-13-45"], ("2024-13-45",)),
    "unknown_benchmark": (["--benchmark", "spx"], ("benchmark 'spx' is unknown", "btc, mcap_top10, ew_top10, btc_eth_60_40")),
    "absurd_init_cash": (["--init-cash", "1e30"], ("init_cash 1e+30 USD", "<= 1e+12")),
    "negative_init_cash": (["--init-cash", "-5"], ("init_cash -5 USD", "> 0")),
    "nan_init_cash": (["--init-cash", "nan"], ("init_cash nan", "finite")),
    "bad_execution": (["--execution", "next_open"], ("execution 'next_open'",)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_backtest_refuses_bad_option(cli, reference, tmp_path: Path, case: str) -> None:
    extra, needles = CASES[case]
    out = tmp_path / "out"
    before = snapshot(tmp_path)
    r = cli(["backtest", STRATEGY, "--out", out, "--no-benchmarks", "--no-report", *extra])
    assert_refused(r, *needles)
    assert not out.exists() and snapshot(tmp_path) == before


@pytest.mark.parametrize("case", ["missing_strategy", "strategy_is_folder", "utf16_strategy", "unknown_asset"])
def test_backtest_refuses_bad_strategy_file(cli, reference, tmp_path: Path, case: str) -> None:
    f = tmp_path / "s.yaml"
    needle = {"missing_strategy": "no such file", "strategy_is_folder": "is a directory",
              "utf16_strategy": "encoded as UTF-16", "unknown_asset": "unknown asset 'ETHH'"}[case]
    if case == "strategy_is_folder":
        f.mkdir()
    elif case == "utf16_strategy":
        f.write_bytes("name: s\n".encode("utf-16"))
    elif case == "unknown_asset":
        f.write_text("name: s\nuniverse: {top_n: 3, exclude: [ETHH]}\n")
    out = tmp_path / "out"
    assert_refused(cli(["backtest", f, "--out", out, *QUICK]), "s.yaml", needle)
    assert not out.exists()


def test_out_is_a_file(cli, reference, tmp_path: Path) -> None:
    out = tmp_path / "stats.json"
    out.write_text("{}")
    assert_refused(cli(["backtest", STRATEGY, "--out", out, *QUICK]), "stats.json: is a file")
    assert out.read_text() == "{}"


def test_out_with_unrelated_files_is_refused(cli, reference, tmp_path: Path) -> None:
    out = tmp_path / "notes"
    out.mkdir()
    (out / "todo.txt").write_text("mine")
    assert_refused(cli(["backtest", STRATEGY, "--out", out, *QUICK]), "holds other files", "--overwrite")
    assert [p.name for p in out.iterdir()] == ["todo.txt"]


def test_second_run_into_same_folder_refused_then_replaced_atomically(cli, reference, tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = cli(["backtest", STRATEGY, "--out", out, *QUICK])
    assert first.code == 0, first.stderr
    m1 = json.loads((out / "run.json").read_text())
    assert m1["strategy"] == "top10_capped" and m1["data_fingerprint"].startswith("sha256:")
    assert m1["settings"]["start"].startswith("2024-01-01") and len(m1["strategy_sha256"]) == 16
    assert "manifest run.json" in first.stdout
    stats1 = (out / "stats.json").read_text()
    # A different run into the same folder: refused, the first run's files untouched.
    r = cli(["backtest", STRATEGY, "--out", out, "--start", "2024-02-01", "--end", "2024-03-01", "--no-benchmarks", "--no-report"])
    assert_refused(r, "holds the outputs of run 'top10_capped'", "--overwrite")
    assert (out / "stats.json").read_text() == stats1
    # --overwrite replaces the whole folder: every file belongs to the second run.
    r2 = cli(["backtest", STRATEGY, "--out", out, "--start", "2024-02-01", "--end", "2024-03-01", "--no-benchmarks",
              "--no-report", "--overwrite"])
    assert r2.code == 0, r2.stderr
    m2 = json.loads((out / "run.json").read_text())
    stats2 = json.loads((out / "stats.json").read_text())
    assert m2["settings"]["start"].startswith("2024-02-01")
    assert m2["data_fingerprint"] == m1["data_fingerprint"]
    assert stats2["settings"]["start"].startswith("2024-02-01")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run.tmp-")]


def test_killed_write_leftovers_are_removed(cli, reference, tmp_path: Path) -> None:
    out = tmp_path / "run"
    dead = tmp_path / ".run.tmp-999999-abcdef"  # a pid that does not exist: a killed run's temp folder
    dead.mkdir()
    (dead / "weights.csv").write_text("half")
    assert cli(["backtest", STRATEGY, "--out", out, *QUICK]).code == 0
    assert not dead.exists() and (out / "run.json").is_file()


def test_empty_universe_is_an_error_unless_cash_is_asked_for(cli, reference, tmp_path: Path) -> None:
    f = tmp_path / "nothing.yaml"
    f.write_text("name: nothing\nuniverse: {min_market_cap_usd: 1.0e+15}\n")
    out = tmp_path / "out"
    r = cli(["backtest", f, "--out", out, *QUICK])
    assert_refused(r, "strategy nothing at 2024-01-01", "the universe is empty", "by min_market_cap_usd",
                   "empty_universe: cash")
    assert not out.exists()
    f.write_text("name: nothing\nuniverse: {min_market_cap_usd: 1.0e+15}\nempty_universe: cash\n")
    ok = cli(["backtest", f, "--out", out, *QUICK])
    assert ok.code == 0, ok.stderr
    assert "decision(s) held 100% CASH" in ok.stderr and "2024-01-01" in ok.stderr
    stats = json.loads((out / "stats.json").read_text())
    assert stats["settings"]["cash_decisions"][:2] == ["2024-01-01", "2024-02-01"]
    assert stats["stats"]["sharpe"] == 0.0 and stats["stats"]["volatility"] == 0.0  # values, not null
    assert any("zero volatility" in w for w in stats["settings"]["stat_warnings"])


def test_a_start_moved_by_the_lookback_is_said(cli, reference, tmp_path: Path) -> None:
    # the reference data starts 2017-01-01: a --start 9 days in leaves the strategy short of its 90 bars
    r = cli(["backtest", STRATEGY, "--start", "2017-01-10", "--end", "2017-08-01", "--no-benchmarks", "--no-report",
             "--out", tmp_path / "o"])
    assert r.code == 0, r.stderr
    assert "note: the first decision is 2017-03-31, not --start 2017-01-10: the strategy needs 90 bars" in r.stderr


def test_all_cash_from_the_regime_filter_is_not_called_an_empty_universe(reference) -> None:
    """ai_index goes to 100% CASH through its regime filter with a full universe: not an empty-universe decision."""
    from indexer.backtesting import backtest
    from indexer.strategy import Strategy

    res = backtest(Strategy.from_yaml(Path(STRATEGY).parent / "ai_index.yaml"), reference, start="2022-01-01",
                   end="2023-03-31", benchmarks=False)
    all_cash = res.decisions[res.decisions["n_assets"] == 0]
    assert len(all_cash) >= 3  # the 2022 bear market: the regime filter held cash
    assert not res.decisions["empty_universe"].any() and res.settings["cash_decisions"] == []
