"""``indexer signals list|report`` on the reference data."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from indexer.cli.main import app


def test_list_shows_every_signal() -> None:
    res = CliRunner().invoke(app, ["signals", "list"])
    assert res.exit_code == 0, res.output
    assert "momentum" in res.output and "nvt" in res.output and "news_sentiment" in res.output


def test_report_prints_oos_ic_and_writes_plot(reference, tmp_path: Path) -> None:
    out = tmp_path / "ic.png"
    res = CliRunner().invoke(
        app,
        ["signals", "report", "--signals", "momentum,amihud", "--model", "ridge", "--out", str(out),
         "--start", "2021-01-01", "--no-text-model"],
    )
    assert res.exit_code == 0, res.output
    assert "blend[ridge]" in res.output and "amihud" in res.output
    assert "active_address_growth" in res.output  # BTC on-chain time-series table
    assert out.exists() and out.stat().st_size > 10_000


def test_report_of_a_strategy_file(reference, tmp_path: Path) -> None:
    path = tmp_path / "tilt.yaml"
    path.write_text(
        "name: tilt\nuniverse: {top_n: 8}\noptimiser: {objective: mean_variance}\n"
        "signals:\n  signals:\n    - {name: momentum, params: {horizon: 90}}\n    - {name: volume}\n  model: {type: fixed}\n"
    )
    res = CliRunner().invoke(app, ["signals", "report", str(path), "--out", str(tmp_path / "p.png"), "--no-onchain", "--no-text-model"])
    assert res.exit_code == 0, res.output
    assert "blend[fixed]" in res.output


def test_report_bad_signal_name_is_a_clean_error(reference) -> None:
    res = CliRunner().invoke(app, ["signals", "report", "--signals", "momentum,nope"])
    assert res.exit_code == 2
    assert "not a registered signal" in res.output


def test_report_of_a_strategy_without_signals_says_so(reference, tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text("name: plain\nuniverse: {top_n: 5}\noptimiser: {objective: market_cap}\n")
    res = CliRunner().invoke(app, ["signals", "report", str(path), "--no-onchain", "--no-text-model"])
    assert res.exit_code == 2
    assert "has no signals: block" in res.output
