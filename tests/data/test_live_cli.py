"""``indexer data update STRATEGY`` through the real typer app against the loopback live sources."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from live_loopback import LiveSources  # noqa: E402

from indexer.cli.main import app  # noqa: E402
from indexer.data.live import read_state  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_update_refreshes_only_what_the_strategy_reads(shared_data: Path, tmp_path: Path) -> None:
    with LiveSources(shared_data, ("BTC", "ETH", "LTC")) as srv:
        settings = tmp_path / "live.yaml"
        settings.write_text(yaml.safe_dump(srv.settings()))
        args = ["data", "update", str(REPO / "strategies" / "top10_capped.yaml"), "--settings", str(settings),
                "--data-dir", str(tmp_path), "--now", "2023-05-31T00:05"]
        res = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert res.exit_code == 0, res.output
        # top10_capped reads prices and market caps (2 pages of 1000 daily bars per pair): no Fear & Greed, on-chain or news request
        assert srv.count("/fng") == srv.count("/v4/") == srv.count("/feeds/") == 0
        assert srv.count("/api/v3/klines") == 6 and srv.count("/api/v3/coins/") == 3
        assert "all 2 inputs fresh" in res.output and "market_cap" in res.output
        assert set(read_state(tmp_path / "live" / "binance")) == {"ohlcv", "market_cap"}
        # two days later without new data on the servers: the prices are stale, exit code 1
        res = runner.invoke(app, [*args[:-1], "2023-06-02T00:05"], env={"COLUMNS": "200"})
        assert res.exit_code == 1
        assert "stale inputs block the decision: close last 2023-05-30, 2.00 days old > 1" in " ".join(res.output.split())


def test_update_refuses_bad_settings_in_one_line(tmp_path: Path) -> None:
    settings = tmp_path / "live.yaml"
    settings.write_text("feeds: {coindesk: https://example.test/rss}\nrates: {onchain: fast}\n")
    res = runner.invoke(app, ["data", "update", str(REPO / "strategies" / "top10_capped.yaml"), "--settings",
                              str(settings), "--data-dir", str(tmp_path)])
    assert res.exit_code == 2
    assert f"live settings {settings}: rates.onchain" in " ".join(res.output.split())
