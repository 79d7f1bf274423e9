"""``indexer data info | import | fetch`` through the real typer app."""

from __future__ import annotations

import socket
from pathlib import Path

import pandas as pd
from data_loopback import LoopbackMarket
from typer.testing import CliRunner

from indexer.cli.main import app

runner = CliRunner()


def test_help_texts() -> None:
    for args in (["data", "--help"], ["data", "info", "--help"], ["data", "import", "--help"], ["data", "fetch", "--help"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        assert "Usage" in res.output


def test_import_then_info(shared_data: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["data", "import", str(shared_data), "--data-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "imported 36 assets" in res.output  # 35 until issue 13: MKR now has Coin Metrics prices 2017-12..2020-06
    assert (tmp_path / "reference" / "provenance.json").exists()
    png = tmp_path / "coverage.png"
    res = runner.invoke(app, ["data", "info", "--data-dir", str(tmp_path), "--plot", str(png)], env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    for needle in ("2017-01-01", "BTC", "USDT", "stablecoin", "TxCnt", "Fear & Greed", str(tmp_path / "reference")):
        assert needle in res.output, needle
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    # issue 13: coverage per source and asset, membership tables and the Coin Metrics attribution
    for needle in ("coverage", "coinmetrics", "etherscan", "btc_social_sentiment", "CC BY-NC 4.0", "Coin Metrics",
                   "membership cmc_weekly_top10: 606 snapshots", "membership cmc_monthly_top200: 70 snapshots"):
        assert needle in res.output, needle
    res = runner.invoke(app, ["data", "info", "--data-dir", str(tmp_path), "--fields"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    rows = [line.split() for line in res.output.splitlines()]
    eth_adr = [r for r in rows if r[:3] == ["coinmetrics+etherscan", "AdrActCnt", "ETH"]]
    assert eth_adr and eth_adr[0][3:5] == ["2017-01-01", "2023-06-17"] and eth_adr[0][5] == "100.0%"


def test_fetch_against_loopback(shared_data: Path, tmp_path: Path) -> None:
    with LoopbackMarket(shared_data) as market:
        market.last_day = pd.Timestamp("2024-01-20", tz="UTC")
        args = [
            "data", "fetch", "--exchange", "binance", "--symbols", "BTC,ETH/USDT", "--since", "2024-01-01",
            "--api-url", f"public={market.url}/api/v3", "--coingecko-url", f"{market.url}/api/v3", "--data-dir", str(tmp_path),
        ]
        res = runner.invoke(app, args, env={"COLUMNS": "120"})
        assert res.exit_code == 0, res.output
        assert "BTC/USDT" in res.output and "ETH/USDT" in res.output
        assert (tmp_path / "fetch" / "binance" / "ohlcv" / "BTC_USDT.parquet").exists()
        # a fetched-only cache is what `data info` shows when there is no reference cache
        res = runner.invoke(app, ["data", "info", "--data-dir", str(tmp_path)], env={"COLUMNS": "120", "INDEXER_SHARED_DATA": str(tmp_path / "none")})
        assert res.exit_code == 0, res.output
        assert "fetched" in res.output and "2024-01-01" in res.output


def test_fetch_unreachable_exits_cleanly(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = runner.invoke(
        app,
        ["data", "fetch", "--api-url", f"public=http://127.0.0.1:{port}/api/v3", "--retries", "0", "--no-coingecko",
         "--data-dir", str(tmp_path)],
    )
    assert res.exit_code == 2
    assert "DataError" in res.output and "network error" in res.output
    res = runner.invoke(app, ["data", "fetch", "--api-url", "nonsense", "--data-dir", str(tmp_path)])
    assert res.exit_code == 2 and "KEY=URL" in res.output
