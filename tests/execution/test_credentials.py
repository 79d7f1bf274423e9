"""Credentials: environment, key file permissions, and keys never in logs or reprs."""

from __future__ import annotations

import json
import logging
import os

import pytest

from indexer.exceptions import ConfigError
from indexer.execution import CcxtBroker, Credentials, load_credentials

from .helpers import broker_for, target


def test_from_environment():
    env = {"INDEXER_BINANCE_API_KEY": "k-123", "INDEXER_BINANCE_SECRET": "s-456"}
    creds = load_credentials("binance", env=env)
    assert (creds.api_key, creds.secret) == ("k-123", "s-456")
    assert "k-123" not in repr(creds) and "s-456" not in str(creds)
    assert load_credentials("binance", env={}) is None
    with pytest.raises(ConfigError, match="INDEXER_BINANCE_SECRET"):
        load_credentials("binance", env={"INDEXER_BINANCE_API_KEY": "k"})


def test_key_file_must_be_private(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"apiKey": "file-key", "secret": "file-secret"}))
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match=r"accessible by group or others \(mode 644\).*chmod 600"):
        load_credentials("binance", key_file=path)
    os.chmod(path, 0o640)
    with pytest.raises(ConfigError, match="mode 640"):
        load_credentials("binance", key_file=path)
    os.chmod(path, 0o600)
    assert load_credentials("binance", key_file=path).api_key == "file-key"
    os.chmod(path, 0o604)  # world-readable: the broker refuses it too
    with pytest.raises(ConfigError, match="mode 604"):
        CcxtBroker("binance", key_file=str(path))


def test_key_file_missing_fields(tmp_path):
    path = tmp_path / "keys.yaml"
    path.write_text("apiKey: only-key\n")
    os.chmod(path, 0o600)
    with pytest.raises(ConfigError, match="apiKey and secret are required"):
        load_credentials("binance", key_file=path)


def test_keys_never_appear_in_logs_or_errors(sim, caplog):
    from indexer.execution import execute, plan_orders, symbols_to_price

    caplog.set_level(logging.DEBUG)
    sim.control("faults", [{"kind": "5xx", "target": "account", "times": 1},
                           {"kind": "429", "target": "POST order", "times": 1, "value": "0"}])
    b = broker_for(sim)
    tp = target({"BTC": 0.5, "ETH": 0.3})
    h, m = b.fetch_holdings(), b.markets()
    plan = plan_orders(tp, h, b.fetch_prices(symbols_to_price(["BTC", "ETH"], m, "USDT")), m)
    report = execute(plan, b, "log-test")
    wrong = CcxtBroker("binance", credentials=Credentials(sim.api_key, "wrong-secret-" + sim.api_secret[:8]),
                       urls={"api": sim.ccxt_urls()}, max_retries=0)
    with pytest.raises(Exception) as err:
        wrong.fetch_holdings()
    text = caplog.text + repr(b) + str(report.to_dict()) + str(err.value)
    assert "Request:" in caplog.text  # ccxt did log its requests (with headers) at DEBUG
    assert len(caplog.records) > 10
    for secret in (sim.api_key, sim.api_secret, "wrong-secret-"):
        assert secret not in text
