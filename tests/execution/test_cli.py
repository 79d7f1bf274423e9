"""``indexer rebalance`` (paper and live against the simulator) and ``indexer exchange-sim``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.cli.main import app
from indexer.execution.market_info import last_prices
from indexer.sim import SimServer, free_port

REPO = Path(__file__).resolve().parents[2]
STRATEGY = str(REPO / "strategies" / "top10_capped.yaml")
runner = CliRunner()


def _weights(balances: dict[str, Decimal], usd: dict[str, float]) -> dict[str, float]:
    vals = {a: float(q) * (1.0 if a == "USDT" else usd[a]) for a, q in balances.items()}
    total = sum(vals.values())
    return {a: v / total for a, v in vals.items()}


@pytest.fixture
def ref_sim(reference):
    usd = last_prices(reference)
    sim = SimServer(usd, {"USDT": 10_000}).start()
    yield sim, usd
    sim.stop()


def test_paper_rebalance_prints_plan_fills_and_weights(reference):
    res = runner.invoke(app, ["rebalance", STRATEGY, "--exchange", "binance"], terminal_width=160)
    assert res.exit_code == 0, res.output
    for text in ("paper (binance)", "Order plan", "Fills (run top10_capped-", "Post-trade weights", "tracking error",
                 "paper: no market for"):
        assert text in res.output


def test_live_refuses_without_confirmation_when_stdin_is_not_a_terminal(ref_sim, tmp_path):
    sim, _ = ref_sim
    cfg = sim.write_config(tmp_path / "sim.yaml")
    res = runner.invoke(app, ["rebalance", STRATEGY, "--exchange", "binance", "--live", "--config", str(cfg)])
    assert res.exit_code == 2
    assert "refusing to place live orders" in res.output and "--yes" in res.output
    assert not sim.engine.orders


def test_live_with_yes_reaches_the_target_on_the_simulator(ref_sim, tmp_path):
    sim, usd = ref_sim
    cfg = sim.write_config(tmp_path / "sim.yaml")
    assert oct(os.stat(tmp_path / "sim.keys.json").st_mode & 0o777) == "0o600"
    res = runner.invoke(app, ["rebalance", STRATEGY, "--exchange", "binance", "--live", "--config", str(cfg), "--yes"],
                        terminal_width=160)
    assert res.exit_code == 0, res.output
    assert sim.api_key not in res.output and sim.api_secret not in res.output
    w = _weights(sim.engine.balances, usd)
    held = {a: x for a, x in w.items() if a != "USDT" and x > 0}
    assert len(held) == 10 and max(held.values()) <= 0.25 + 1e-3
    assert w["USDT"] < 0.005


def test_bad_exchange_config_names_file_and_field(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("exchange: binance\ntimeout_ms: -5\nsurprise: 1\n")
    res = runner.invoke(app, ["rebalance", STRATEGY, "--config", str(cfg), "--dry-run"])
    assert res.exit_code == 2
    assert "bad.yaml" in res.output and "timeout_ms" in res.output and "surprise" in res.output


def test_exchange_sim_rejects_bad_faults():
    res = runner.invoke(app, ["exchange-sim", "--faults", "boom:order"])
    assert res.exit_code == 2 and "unknown fault kind 'boom'" in res.output


def test_readme_rehearsal_with_the_simulator_in_another_process(reference, tmp_path):
    """`indexer exchange-sim` in one process, `indexer rebalance ... --live --yes` in another."""
    port = free_port()
    env = {**os.environ, "INDEXER_DATA_DIR": os.environ["INDEXER_DATA_DIR"]}
    proc = subprocess.Popen([sys.executable, "-m", "indexer", "exchange-sim", "--port", str(port),
                             "--write-config", str(tmp_path / "sim.yaml")], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("simulator did not start")
        res = runner.invoke(app, ["rebalance", STRATEGY, "--exchange", "binance", "--live", "--yes",
                                  "--config", str(tmp_path / "sim.yaml")], terminal_width=160)
        assert res.exit_code == 0, res.output
        assert "LIVE on binance" in res.output and "Post-trade weights" in res.output
    finally:
        proc.terminate()
        proc.wait(10)


def test_odd_untradeable_balances_are_reported_not_fatal(reference, tmp_path):
    usd = last_prices(reference)
    with SimServer(usd, {"USDT": 10_000, "ODDCOIN": 3}) as sim:
        cfg = sim.write_config(tmp_path / "sim.yaml")
        res = runner.invoke(app, ["rebalance", STRATEGY, "--live", "--config", str(cfg), "--dry-run"],
                            terminal_width=160)
        assert res.exit_code == 0, res.output
        assert "ODDCOIN" in res.output and "no market to sell it" in res.output
        assert "(dry run)" in res.output and not sim.engine.orders


def test_live_guards_refuse_before_any_order(ref_sim, tmp_path):
    """The bot's guards on the CLI path: an exchange price 30 % off the data's last close is refused
    (one line, exit 2) before any order; `risk: {max_price_deviation: null}` in the file switches it off."""
    sim, usd = ref_sim
    sim.control("prices", {"ETH/USDT": usd["ETH"] * 1.3})
    cfg = sim.write_config(tmp_path / "sim.yaml")
    res = runner.invoke(app, ["rebalance", STRATEGY, "--live", "--yes", "--config", str(cfg)], terminal_width=200)
    assert res.exit_code == 2 and "price sanity" in res.output and "ETH" in res.output and "+30.0%" in res.output
    assert not sim.engine.orders
    cfg.write_text(cfg.read_text() + "risk: {max_price_deviation: null}\n")
    res = runner.invoke(app, ["rebalance", STRATEGY, "--live", "--yes", "--config", str(cfg), "--dry-run"],
                        terminal_width=200)
    assert res.exit_code == 0 and "(dry run)" in res.output
