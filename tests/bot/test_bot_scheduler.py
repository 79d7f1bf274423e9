"""``indexer bot run``: cron schedule in UTC, metrics endpoint, graceful SIGTERM; status/pause/resume CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa
from botkit import API_KEY, API_SECRET, env_for_subprocess, write_config
from typer.testing import CliRunner

from indexer.bot import load_bot_settings, open_bot
from indexer.bot.scheduler import serve
from indexer.bot.settings import cron_trigger
from indexer.cli.main import app
from indexer.sim import free_port


def test_cron_trigger_is_utc_with_optional_seconds() -> None:
    import datetime as dt

    t = cron_trigger("5 0 * * *")
    nxt = t.get_next_fire_time(None, dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC))
    assert nxt.isoformat() == "2025-01-02T00:05:00+00:00"
    t6 = cron_trigger("*/10 * * * * *")
    nxt = t6.get_next_fire_time(None, dt.datetime(2025, 1, 1, 12, 0, 1, tzinfo=dt.UTC))
    assert nxt.isoformat() == "2025-01-01T12:00:10+00:00"


def test_paper_account_on_schedule(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "bot.yaml", db_url=f"sqlite:///{tmp_path / 'b.sqlite'}",
                       schedule={"cron": "* * * * * *"})
    with open_bot(load_bot_settings(cfg), logs=False) as bot:
        t0 = time.monotonic()
        assert serve(bot, max_runs=2) == 2
        assert time.monotonic() - t0 < 30
        runs = bot.store.runs_for(bot.cfg.account)
        assert [r["status"] for r in runs] == ["done"]
        kinds = [e["kind"] for e in bot.store.events_for(bot.cfg.account)]
        assert kinds[0] == "skip" and "done" in kinds  # the second trigger found the bar already traded


def test_metrics_endpoint_on_loopback() -> None:
    from indexer.bot.prometheus import BotMetrics
    from indexer.bot.rebalancer import RunResult

    m = BotMetrics("acct")
    port = m.serve(0)
    try:
        m.observe(RunResult("done", "ok", orders=10, value=9_989.0, tracking_error=0.002), 1_700_000_000.0)
        m.observe(RunResult("skipped", "same bar"), 1_700_000_060.0)
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    finally:
        m.close()
    assert 'indexer_bot_runs_total{account="acct",status="done"} 1.0' in text
    assert 'indexer_bot_runs_total{account="acct",status="skipped"} 1.0' in text
    assert 'indexer_bot_orders_total{account="acct"} 10.0' in text
    assert 'indexer_bot_portfolio_value{account="acct"} 9989.0' in text
    assert 'indexer_bot_last_run_timestamp_seconds{account="acct"} 1.70000006e+09' in text


def test_run_subprocess_sigterm_mid_run_finishes_the_run(tmp_path: Path, sim) -> None:
    port = free_port()
    db = f"sqlite:///{tmp_path / 'b.sqlite'}"
    cfg = write_config(tmp_path / "bot.yaml", db_url=db, sim=sim, schedule={"cron": "*/2 * * * * *"},
                       metrics_port=port, logging={"file": str(tmp_path / "bot.log")})
    sim.control("faults", [{"kind": "latency", "target": "POST order", "times": 10, "value": "0.25"}])
    proc = subprocess.Popen([sys.executable, "-m", "indexer", "bot", "run", str(cfg)], env=env_for_subprocess(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    eng = sa.create_engine(db)
    try:
        deadline = time.monotonic() + 60
        sending = False
        while time.monotonic() < deadline and not sending:
            time.sleep(0.2)
            assert proc.poll() is None, proc.stderr.read()
            try:
                with eng.connect() as c:
                    sending = c.execute(sa.text("select count(*) from bot_orders")).scalar() > 0
            except sa.exc.OperationalError:  # tables not created yet
                continue
        assert sending, "no scheduled run started sending orders"
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert "# HELP indexer_bot_runs_total" in metrics
        proc.send_signal(signal.SIGTERM)  # mid-run: the run must finish before the process exits
        out, err = proc.communicate(timeout=60)
        with eng.connect() as c:
            runs = c.execute(sa.text("select status, step from bot_runs")).all()
            n_orders = c.execute(sa.text("select count(*) from bot_orders where status = 'closed'")).scalar()
    finally:
        if proc.poll() is None:
            proc.kill()
        eng.dispose()
    assert proc.returncode == 0, err[-2000:]
    assert "received SIGTERM" in err and "stopped after 1 run(s)" in err
    assert [tuple(r) for r in runs] == [("done", "done")] and n_orders == 10
    log_lines = [json.loads(line) for line in (tmp_path / "bot.log").read_text().splitlines()]
    assert {"ts", "level", "logger", "msg"} <= set(log_lines[0])
    assert any(rec.get("event") == "done" for rec in log_lines)
    for secret in (API_KEY, API_SECRET):
        assert secret not in err + out + (tmp_path / "bot.log").read_text()
    assert len(sim.control("state")["orders"]) == 10


def test_cli_once_status_pause_resume(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path / "bot.yaml", db_url=f"sqlite:///{tmp_path / 'b.sqlite'}"))
    runner = CliRunner()
    r = runner.invoke(app, ["bot", "pause", cfg, "--reason", "audit"])
    assert r.exit_code == 0 and "paused" in r.output
    r = runner.invoke(app, ["bot", "once", cfg])
    assert r.exit_code == 0 and "paused" in r.output and "audit" in r.output
    assert runner.invoke(app, ["bot", "resume", cfg]).exit_code == 0
    r = runner.invoke(app, ["bot", "once", cfg])
    assert r.exit_code == 0 and "done" in r.output
    r = runner.invoke(app, ["bot", "status", cfg, "--json"])
    st = json.loads(r.output)
    assert st["paused"] is False and st["runs"][0]["status"] == "done" and st["value"] > 9_900
    assert abs(sum(st["current_weights"].values()) - 1) < 1e-9
    png = tmp_path / "status.png"
    r = runner.invoke(app, ["bot", "status", cfg, "--offline", "--plot", str(png)])
    assert r.exit_code == 0 and png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 10_000
    for words in ("Recent runs", "current", "target", "P&L since", "no open orders", "snapshot"):
        assert words in r.output
    r = runner.invoke(app, ["bot", "once", cfg, "--now", "2030-01-01"])
    assert r.exit_code == 0 and "already rebalanced" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("account: x\nstrategy: nope.yaml\n")
    r = runner.invoke(app, ["bot", "once", str(bad)])
    assert r.exit_code == 2 and "ConfigError" in r.output
