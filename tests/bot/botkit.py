"""Helpers of the bot tests: a loopback webhook receiver, configs, simulator weights."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
STRATEGY = REPO / "strategies" / "top10_capped.yaml"
API_KEY = "simKEY" + "a1b2c3d4e5f6a7b8c9d0e1f2"
API_SECRET = "simSECRET" + "f0e1d2c3b4a5968778695a4b3c2d1e0f0a1b2c3d"
HOOK_TOKEN = "hookTOKEN" + "9z8y7x6w5v4u"


class Receiver:
    """A loopback HTTP server recording every JSON POST body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.raw: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                n = int(self.headers.get("Content-Length") or 0)
                text = self.rfile.read(n).decode()
                outer.raw.append(self.path + " " + text)
                outer.bodies.append(json.loads(text))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()




def unique_account(prefix: str = "acct") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def write_config(path: Path, *, db_url: str, sim: Any = None, account: str | None = None, **extra: Any) -> Path:
    """A bot YAML: sandbox against ``sim`` (keys from env var names) or paper."""
    cfg: dict[str, Any] = {
        "account": account or unique_account(),
        "strategy": str(STRATEGY),
        "mode": "paper",
        "risk": {"max_turnover": 1.05, "drift_threshold": 0.01, "max_order_notional": 5000},
        "data": {"source": "reference", "max_age_hours": 1_000_000},
        "database": {"url": db_url},
        "lock_dir": str(path.parent),
    }
    if sim is not None:
        cfg["mode"] = "sandbox"
        cfg["exchange"] = {
            "id": "binance", "rate_limit": False, "max_retries": 2, "backoff_s": 0.05,
            "options": {"fetchCurrencies": False, "fetchMarkets": {"types": ["spot"]}, "fetchMargins": False},
            "urls": {"api": sim.ccxt_urls()},
            "credentials": {"api_key_env": "TEST_SIM_KEY", "secret_env": "TEST_SIM_SECRET"},
        }
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(cfg.get(k), dict):
            cfg[k] = {**cfg[k], **v}
        else:
            cfg[k] = v
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def sim_weights(state: dict[str, Any], quote: str = "USDT") -> tuple[dict[str, float], float]:
    """Weights (CASH = quote) and value of a simulator account from ``/_sim/state``."""
    prices = {k[: -len(quote)]: float(v) for k, v in state["prices"].items() if k.endswith(quote)}
    vals = {}
    for asset, b in state["balances"].items():
        q = float(b["free"]) + float(b["locked"])
        if asset == quote:
            vals["CASH"] = q
        elif asset in prices:
            vals[asset] = q * prices[asset]
    total = sum(vals.values())
    return {k: v / total for k, v in vals.items()}, total


def env_for_subprocess() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("INDEXER_BOT_CRASH_AT", None)
    return env


class BotProcesses:
    """``indexer ...`` commands in real child processes forked from one warm parent (``forkserver.py``).

    ``run`` answers like ``subprocess.run(capture_output=True, text=True)``; a child killed by a
    signal has ``returncode == -signal``.  ``fresh=True`` starts a new interpreter instead
    (``python -m indexer``), for the cold entry point.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("forkserver.py"))],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
        assert json.loads(self.proc.stdout.readline()) == {"ready": True}  # type: ignore[union-attr]
        self.n = 0

    def run(self, args: list[str], *, crash_at: str | None = None, timeout: float = 60,
            fresh: bool = False) -> subprocess.CompletedProcess:
        env = env_for_subprocess()
        if crash_at:
            env["INDEXER_BOT_CRASH_AT"] = crash_at
        if fresh:
            return subprocess.run([sys.executable, "-m", "indexer", *args], env=env, capture_output=True,
                                  text=True, timeout=timeout)
        self.n += 1
        out, err = self.workdir / f"{self.n}.out", self.workdir / f"{self.n}.err"
        req = {"args": args, "env": env, "stdout": str(out), "stderr": str(err), "timeout": timeout}
        self.proc.stdin.write(json.dumps(req) + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        rc = json.loads(self.proc.stdout.readline())["rc"]  # type: ignore[union-attr]
        if rc is None:
            raise subprocess.TimeoutExpired(args, timeout)
        return subprocess.CompletedProcess(args, rc, out.read_text(), err.read_text())

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait(timeout=30)
