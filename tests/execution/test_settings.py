"""One settings model: the ``--config`` file (flat or nested), CLI overrides and the bot config agree."""

from __future__ import annotations

import pytest
import yaml

from indexer.bot.settings import load_bot_settings
from indexer.exceptions import ConfigError
from indexer.execution import RebalanceSettings, load_settings

SECTIONS = {"exchange": {"id": "binance", "quote": "USDT", "untradeable": "cash", "max_retries": 2},
            "execution": {"cash_buffer": 0.004, "drift_threshold": 0.002, "order_type": "limit"},
            "risk": {"max_turnover": 1.5, "max_order_notional": None},
            "paper": {"slippage_bps": 7}}


def test_rebalance_file_and_bot_config_give_the_same_settings(tmp_path):
    reb = tmp_path / "reb.yaml"
    reb.write_text(yaml.safe_dump(SECTIONS))
    strat = tmp_path / "s.yaml"
    strat.write_text("name: x\nuniverse: {top_n: 3}\noptimiser: {objective: equal_weight}\n")
    bot = tmp_path / "bot.yaml"
    bot.write_text(yaml.safe_dump({"account": "a", "strategy": str(strat), **SECTIONS}))
    a, b = load_settings(reb), load_bot_settings(bot).settings()
    assert isinstance(a, RebalanceSettings) and a == b
    assert a.exchange.untradeable == "cash" and a.risk.max_order_notional is None
    assert a.execution.executor_settings().order_type == "limit" and a.paper.slippage_bps == 7


def test_flat_legacy_file_cli_overrides_and_older_bot_keys(tmp_path):
    flat = tmp_path / "sim.yaml"
    flat.write_text("exchange: binance\nfee_rate: 0.002\nmax_retries: 1\nexecution: {cash_buffer: 0.01}\n")
    s = load_settings(flat, overrides={"execution": {"cash_buffer": 0.005, "drift_threshold": None}})
    assert (s.exchange.id, s.paper.fee_rate, s.exchange.max_retries) == ("binance", 0.002, 1)
    assert s.execution.cash_buffer == 0.005 and s.execution.drift_threshold == 0.001  # None: not overridden
    assert RebalanceSettings().paper.slippage_bps == 5.0  # one paper slippage on both paths
    strat = tmp_path / "s.yaml"
    strat.write_text("name: x\nuniverse: {top_n: 3}\noptimiser: {objective: equal_weight}\n")
    bot = tmp_path / "bot.yaml"
    bot.write_text(yaml.safe_dump({"account": "a", "strategy": str(strat),
                                   "risk": {"drift_threshold": 0.01, "fee_reserve": 0.002}}))
    cfg = load_bot_settings(bot)
    assert (cfg.execution.drift_threshold, cfg.execution.cash_buffer) == (0.01, 0.002)
    bad = tmp_path / "bad.yaml"
    bad.write_text("exchange: {id: binance, untradeable: skip}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: exchange.untradeable"):
        load_settings(bad)
