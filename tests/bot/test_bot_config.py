"""Bot config: validation errors name the file, the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from botkit import STRATEGY, write_config

from indexer.bot import load_bot_settings
from indexer.bot.accounts import build_broker
from indexer.exceptions import ConfigError

REPO = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, **cfg) -> Path:
    base = {"account": "a1", "strategy": str(STRATEGY)}
    p = tmp_path / "bot.yaml"
    p.write_text(yaml.safe_dump({**base, **cfg}))
    return p


def test_example_configs_load() -> None:
    for path in sorted((REPO / "examples" / "bot").glob("*.yaml")):
        cfg = load_bot_settings(path)
        assert cfg.strategy.is_file()
        assert cfg.mode in ("paper", "sandbox", "live")


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    p = _write(tmp_path, database={"url": "sqlite:///state/bot.sqlite"})
    cfg = load_bot_settings(p)
    assert cfg.mode == "paper" and cfg.schedule.cron == "5 0 * * *"
    assert cfg.db_url() == f"sqlite:///{(tmp_path / 'state' / 'bot.sqlite').resolve()}"
    assert cfg.risk.max_turnover == 1.0 and cfg.data.max_age_hours == 36.0
    from indexer.execution import ExecutorSettings

    assert cfg.execution.executor_settings() == ExecutorSettings()  # the executor's defaults: market orders
    limit = load_bot_settings(_write(tmp_path, execution={"order_type": "limit", "on_timeout": "replace"}))
    assert limit.execution.executor_settings() == ExecutorSettings(order_type="limit", on_timeout="replace")


@pytest.mark.parametrize("cfg, words", [
    ({"risk": {"max_turnover": 0.5, "max_order_size": 1}}, ["risk.max_order_size", "unknown field", "max_order_notional"]),
    ({"mode": "yolo"}, ["mode", "'paper', 'sandbox' or 'live'", "yolo"]),
    ({"schedule": {"cron": "every day"}}, ["schedule.cron", "invalid cron"]),
    ({"exchange": {"credentials": {"api_key_env": "abc def", "secret_env": "S"}}}, ["not an environment variable name"]),
    ({"exchange": {"credentials": {"api_key_env": "K"}}}, ["api_key_env and secret_env go together"]),
    ({"mode": "sandbox", "exchange": {"urls": {"api": {"public": "https://api.binance.com/api/v3"}}}},
     ["sandbox needs exchange.sandbox"]),
    ({"notify": [{"kind": "telegram", "url": "http://127.0.0.1:1/x"}]}, ["notify.0", "chat_id"]),
    ({"data": {"source": "csv"}}, ["data", "needs a path"]),
    ({"apikey": "123"}, ["apikey", "unknown field", "allowed:", "account"]),
    ({"execution": {"order_type": "stop"}}, ["execution.order_type", "'market' or 'limit'", "stop"]),
    ({"execution": {"limit_timeout_s": 0}}, ["execution.limit_timeout_s", "greater than 0"]),
    ({"execution": {"slices": 3}}, ["execution.slices", "unknown field", "max_book_fraction"]),
    ({"paper": {"max_price_age_hours": 0}}, ["paper.max_price_age_hours", "greater than 0"]),
])
def test_errors_name_file_field_and_allowed(tmp_path: Path, cfg, words) -> None:
    p = _write(tmp_path, **cfg)
    with pytest.raises(ConfigError) as err:
        load_bot_settings(p)
    msg = str(err.value)
    assert str(p) in msg
    for w in words:
        assert w in msg


def test_missing_strategy_and_bad_yaml(tmp_path: Path) -> None:
    p = _write(tmp_path, strategy="nope.yaml")
    with pytest.raises(ConfigError, match="strategy: file .*nope.yaml does not exist"):
        load_bot_settings(p)
    p.write_text("account: [unclosed")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_bot_settings(p)


def test_live_needs_setting_and_flag(tmp_path: Path, reference) -> None:
    live = load_bot_settings(_write(tmp_path, mode="live"))
    with pytest.raises(ConfigError, match="pass --live"):
        build_broker(live, reference, [], live=False)
    paper = load_bot_settings(write_config(tmp_path / "p.yaml", db_url="sqlite://"))
    with pytest.raises(ConfigError, match="set mode: live"):
        build_broker(paper, reference, [], live=True)
