"""Bot configs, key files, databases, paper balances, sweep files, exchange configs and price files:
every refusal is exit 2 and one line naming the file, field or asset; nothing is written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from badkit import REPO, assert_refused, snapshot

STRATEGY = REPO / "strategies" / "top10_capped.yaml"


def bot_config(tmp_path: Path, **over: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "account": f"i17-{tmp_path.name[-12:]}",
        "strategy": str(STRATEGY),
        "mode": "paper",
        "database": {"url": f"sqlite:///{tmp_path / 'state' / 'bot.sqlite'}"},
        "lock_dir": str(tmp_path / "state"),
        "data": {"source": "reference", "max_age_hours": 1_000_000},
        "risk": {"max_turnover": 1.05, "drift_threshold": 0.01, "max_order_notional": 5000},
    }
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(cfg.get(k), dict):
            cfg[k] = {**cfg[k], **v}
        else:
            cfg[k] = v
    return cfg


SANDBOX = {"mode": "sandbox", "exchange": {"id": "binance", "urls": {"api": {"public": "http://127.0.0.1:9/api/v3",
                                                                            "private": "http://127.0.0.1:9/api/v3"}}}}


def _key_file(tmp_path: Path, mode: int | None, content: bytes = b'{"apiKey": "k", "secret": "s"}') -> Path:
    f = tmp_path / "keys.json"
    if mode is not None:
        f.write_bytes(content)
        f.chmod(mode)
    return f


#: case -> (builder(tmp_path) -> (config bytes, extra args), needles)
BOT_CASES: dict[str, Any] = {
    "utf16": (lambda t: (yaml.safe_dump(bot_config(t)).encode("utf-16"), []), ("bot config", "encoded as UTF-16")),
    "binary": (lambda t: (b"\x00\x01\x02", []), ("binary content",)),
    "empty": (lambda t: (b"", []), ("empty bot config",)),
    "duplicate_key": (lambda t: ((yaml.safe_dump(bot_config(t)) + "mode: live\n").encode(), []), ("duplicate key 'mode'",)),
    "deep": (lambda t: (("account: x\nextra: " + "[" * 5000 + "]" * 5000 + "\n").encode(), []), ("nesting deeper than 32",)),
    "not_a_mapping": (lambda t: (b"- paper\n", []), ("expected a mapping of settings, got list",)),
    "unknown_field": (lambda t: (yaml.safe_dump(bot_config(t, modee="paper")).encode(), []), ("modee", "unknown field")),
    "huge_balance": (lambda t: (yaml.safe_dump(bot_config(t, paper={"balances": {"BTC": 1e30}})).encode(), []),
                     ("paper.balances", "BTC", "1e+30")),
    "negative_balance": (lambda t: (yaml.safe_dump(bot_config(t, paper={"balances": {"USDT": -5.0}})).encode(), []),
                         ("paper.balances", "USDT", "-5.0")),
    "nan_balance": (lambda t: (yaml.safe_dump(bot_config(t, paper={"balances": {"USDT": float("nan")}})).encode(), []),
                    ("paper.balances", "USDT", "nan")),
    "turnover_yes": (lambda t: (yaml.safe_dump(bot_config(t, risk={"max_turnover": True})).encode(), []),
                     ("risk.max_turnover: expected a number, got True",)),
    "balance_text": (lambda t: (yaml.safe_dump(bot_config(t, paper={"balances": {"USDT": "100"}})).encode(), []),
                     ("paper.balances.USDT: expected a number, got '100'",)),
    "live_without_flag": (lambda t: (yaml.safe_dump(bot_config(t, mode="live", exchange={"id": "binance"})).encode(), []),
                          ("mode: live trades real money", "--live")),
    "live_flag_on_paper": (lambda t: (yaml.safe_dump(bot_config(t)).encode(), ["--live"]), ("--live given", "mode: paper")),
    "key_file_readable_by_others": (
        lambda t: (yaml.safe_dump(bot_config(t, **SANDBOX) | {"exchange": {**SANDBOX["exchange"], "credentials": {
            "key_file": str(_key_file(t, 0o644))}}}).encode(), []), ("keys.json", "accessible by group or others", "chmod 600")),
    "key_file_missing": (
        lambda t: (yaml.safe_dump(bot_config(t, **SANDBOX) | {"exchange": {**SANDBOX["exchange"], "credentials": {
            "key_file": str(_key_file(t, None))}}}).encode(), []), ("key file", "keys.json", "no such file")),
    "key_file_utf16": (
        lambda t: (yaml.safe_dump(bot_config(t, **SANDBOX) | {"exchange": {**SANDBOX["exchange"], "credentials": {
            "key_file": str(_key_file(t, 0o600, '{"apiKey": "k", "secret": "s"}'.encode("utf-16")))}}}).encode(), []),
        ("key file", "keys.json", "UTF-16")),
    "key_file_duplicate": (
        lambda t: (yaml.safe_dump(bot_config(t, **SANDBOX) | {"exchange": {**SANDBOX["exchange"], "credentials": {
            "key_file": str(_key_file(t, 0o600, b'{"apiKey": "a", "secret": "b", "secret": "c"}'))}}}).encode(), []),
        ("key file", "duplicate key 'secret'")),
    "no_keys": (lambda t: (yaml.safe_dump(bot_config(t, **SANDBOX)).encode(), []), ("mode sandbox needs API keys",)),
    "unreachable_postgres": (
        lambda t: (yaml.safe_dump(bot_config(t, database={"url": "postgresql+psycopg://bob:s3cret@127.0.0.1:1/nope"})).encode(), []),
        ("database postgresql+psycopg://bob:***@127.0.0.1:1/nope", "connecting failed", "check that the server runs")),
    "bad_db_url": (lambda t: (yaml.safe_dump(bot_config(t, database={"url": "postgres-ish:/x"})).encode(), []),
                   ("database url",)),
    "missing_strategy": (lambda t: (yaml.safe_dump(bot_config(t, strategy=str(t / "nope.yaml"))).encode(), []),
                         ("strategy: file", "nope.yaml", "does not exist")),
    "bad_price_csv": (
        lambda t: (yaml.safe_dump(bot_config(t, data={"source": "csv", "path": str(_write(t / "p.csv", "x".encode("utf-16")))})).encode(), []),
        ("price CSV", "p.csv", "UTF-16")),
}


def _write(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("case", sorted(BOT_CASES))
def test_bot_once_refuses(cli, reference, tmp_path: Path, case: str) -> None:
    build, needles = BOT_CASES[case]
    (tmp_path / "state").mkdir()
    data, extra = build(tmp_path)
    f = tmp_path / "bot.yaml"
    f.write_bytes(data)
    before = snapshot(tmp_path)
    r = cli(["bot", "once", f, *extra])
    assert_refused(r, *needles)
    assert "s3cret" not in r.stdout + r.stderr
    if case != "bad_price_csv":  # refused before the state database is opened: nothing written
        assert not (tmp_path / "state" / "bot.sqlite").exists()
        assert {p for p in snapshot(tmp_path) - before if not p.endswith(".lock")} == set()


def test_sqlite_folder_missing(cli, tmp_path: Path) -> None:
    f = tmp_path / "bot.yaml"
    f.write_text(yaml.safe_dump(bot_config(tmp_path)))
    assert_refused(cli(["bot", "once", f]), "state/bot.sqlite", "unable to open database file", "folder's permissions")
    assert not (tmp_path / "state").exists()


def test_negative_balance_from_recorded_fills_is_blamed_on_the_fills(cli, reference, tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    f = tmp_path / "bot.yaml"
    f.write_text(yaml.safe_dump(bot_config(tmp_path)))
    first = cli(["bot", "once", f])
    assert first.code == 0, first.stderr + first.stdout
    # Same account and database, but the config now says the account started with only 10 USDT.
    f.write_text(yaml.safe_dump(bot_config(tmp_path, paper={"balances": {"USDT": 10.0}})))
    # The next bar comes (moved the recorded run back a month instead of waiting for new data).
    import sqlalchemy as sa

    eng = sa.create_engine(f"sqlite:///{tmp_path / 'state' / 'bot.sqlite'}")
    with eng.begin() as c:
        c.execute(sa.text("update bot_runs set as_of = '2025-09-24 00:00:00.000000'"))
    eng.dispose()
    r = cli(["bot", "once", f])
    # The run had started (its JSON journal lines come first); the refusal is the last line, exit 2.
    assert r.code == 2 and "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ConfigError: paper account: the recorded fills in the bot database leave USDT at -")
    assert "starting balance 10.0 from the config's paper.balances" in last


# --------------------------------------------------------------------------- sweep files, exchange configs, prices
SWEEP_CASES = {
    "utf16": ("strategy: x\n".encode("utf-16"), ("sweep file", "UTF-16")),
    "empty": (b"", ("empty sweep file",)),
    "duplicate": (b"strategy: a.yaml\nstrategy: b.yaml\n", ("duplicate key 'strategy'",)),
    "n_samples_yes": (b"strategy: s.yaml\nmode: random\nn_samples: yes\n", ("n_samples: expected a number, got True",)),
    "alias_bomb": (b"a: &a [x, x]\n" + b"".join(f"b{i}: [*a, *a]\n".encode() for i in range(70)), ("more than 64 YAML aliases",)),
}


@pytest.mark.parametrize("case", sorted(SWEEP_CASES))
def test_sweep_refuses_bad_file(cli, tmp_path: Path, case: str) -> None:
    data, needles = SWEEP_CASES[case]
    f = tmp_path / "sweep.yaml"
    f.write_bytes(data)
    before = snapshot(tmp_path)
    assert_refused(cli(["sweep", f, "--out", tmp_path / "o"]), "sweep.yaml", *needles)
    assert snapshot(tmp_path) == before


EXCHANGE_CASES = {
    "utf16": ("sandbox: true\n".encode("utf-16"), ("exchange config", "UTF-16")),
    "duplicate": (b"sandbox: true\nsandbox: false\n", ("duplicate key 'sandbox'",)),
    "binary": (b"\x00\xff", ("binary content",)),
    "fee_rate_yes": (b"fee_rate: yes\n", ("fee_rate: expected a number, got True",)),
}


@pytest.mark.parametrize("case", sorted(EXCHANGE_CASES))
def test_rebalance_refuses_bad_exchange_config(cli, tmp_path: Path, case: str) -> None:
    data, needles = EXCHANGE_CASES[case]
    f = tmp_path / "exchange.yaml"
    f.write_bytes(data)
    assert_refused(cli(["rebalance", STRATEGY, "--config", f, "--dry-run"]), "exchange.yaml", *needles)


PRICE_CASES = {
    "utf16": ("BTC: 1\n".encode("utf-16"), ("price file", "UTF-16")),
    "not_mapping": (b"[1, 2]\n", ("expected a mapping ASSET: price",)),
    "bool_price": (b"BTC: yes\n", ("BTC", "not a positive number")),
    "negative_price": (b"BTC: -3\n", ("BTC", "not a positive number")),
    "duplicate": (b"BTC: 1\nBTC: 2\n", ("duplicate key 'BTC'",)),
}


@pytest.mark.parametrize("case", sorted(PRICE_CASES))
def test_exchange_sim_refuses_bad_price_file(cli, tmp_path: Path, case: str) -> None:
    data, needles = PRICE_CASES[case]
    f = tmp_path / "prices.yaml"
    f.write_bytes(data)
    assert_refused(cli(["exchange-sim", "--prices", f, "--port", "1"]), "prices.yaml", *needles)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a file without read permission")
def test_unreadable_strategy_file(cli, tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("name: s\n")
    f.chmod(0)
    assert_refused(cli(["validate", f]), "s.yaml", "permission denied")


@pytest.mark.parametrize("amount", ["abc", "1e30", "-1", "nan"])
def test_exchange_sim_refuses_bad_balance(cli, tmp_path: Path, amount: str) -> None:
    assert_refused(cli(["exchange-sim", "--balance", f"BTC={amount}", "--port", "1"]), f"BTC={amount}", ">= 0 and <= 1e12")
    assert snapshot(tmp_path) == set()


def test_sweep_out_with_another_runs_files_is_refused_before_computing(cli, tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("name: s\nuniverse: {top_n: 3}\n")
    f = tmp_path / "sweep.yaml"
    f.write_text("strategy: s.yaml\nmetric: sharpe\nparams: {universe.top_n: [2, 3]}\n")
    out = tmp_path / "res"
    out.mkdir()
    (out / "results.csv").write_text("rank\n1\n")
    assert_refused(cli(["sweep", f, "--out", out]), "--out", "res", "--overwrite")
    assert (out / "results.csv").read_text() == "rank\n1\n"
