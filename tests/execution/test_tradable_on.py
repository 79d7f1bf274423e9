"""``universe.tradable_on``: a saved, dated market list screens the universe point in time; with it the
strategy leaves CRO out itself (caps kept), and ``indexer rebalance --live`` reruns place nothing."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from indexer.cli.main import app
from indexer.exceptions import ConfigError, DataError
from indexer.execution.market_info import last_prices
from indexer.execution.market_lists import load_market_list, save_market_list
from indexer.universe import UniverseSpec, select_universe
from indexer.universe.tradable import MarketList, use_market_list

from .helpers import broker_for
from .scenarios import STRATEGIES, account_weights, client_ids_accepted_once, make_sim, tracking_error

runner = CliRunner()


def test_screen_is_point_in_time_and_says_when_it_cannot(reference):
    listed = set(reference.close.columns) - {"CRO"}
    use_market_list(MarketList("testex").with_snapshot("2024-01-01", listed))
    spec = UniverseSpec(top_n=10, exclude_kinds=["stablecoin"], tradable_on="testex")
    now = select_universe(reference.until(pd.Timestamp("2025-10-24", tz="UTC")), spec)
    assert "CRO" not in now.assets and len(now.assets) == 10
    assert any(e["rule"] == "tradable_on" and e["asset"] == "CRO" and "2024-01-01" in e["detail"] for e in now.log)
    plain = select_universe(reference.until(pd.Timestamp("2025-10-24", tz="UTC")), UniverseSpec(top_n=10))
    assert "CRO" in plain.assets  # the screen is what removed it
    before = select_universe(reference.until(pd.Timestamp("2023-06-01", tz="UTC")), spec)
    assert [e["action"] for e in before.log if e["rule"] == "tradable_on"] == ["not_applied"]
    with pytest.raises(ConfigError, match="needs a saved market list of nowhere"):
        select_universe(reference, UniverseSpec(top_n=3, tradable_on="nowhere"))


def test_market_list_file_round_trip_and_bad_file(tmp_path, reference):
    usd = last_prices(reference)
    sim = make_sim(usd, {"USDT": 1000.0})
    try:
        b = broker_for(sim)
        b.sync_time()
        p = tmp_path / "binance-USDT.json"
        save_market_list(b.markets(), "binance", "USDT", "2025-10-24", p)
        save_market_list(b.markets(), "binance", "USDT", "2025-10-25", p)
        raw = json.loads(p.read_text())
        assert list(raw["snapshots"]) == ["2025-10-24", "2025-10-25"]
        assert "CRO" not in raw["snapshots"]["2025-10-24"] and "BTC" in raw["snapshots"]["2025-10-24"]
        ml = load_market_list("binance", "USDT", p)
        assert ml.at("2025-10-24")[1] == frozenset(raw["snapshots"]["2025-10-24"]) and ml.at("2025-10-23") is None
    finally:
        sim.stop()
    p.write_text('{"snapshots": {"2025-10-24": "BTC"}}')
    with pytest.raises(DataError, match=r"binance-USDT.json.*snapshots.2025-10-24: expected a list"):
        load_market_list("binance", "USDT", p)


def test_ai_index_with_tradable_on_reruns_place_nothing(reference, tmp_path):
    usd = last_prices(reference)
    spec = yaml.safe_load(STRATEGIES["ai_index"].read_text())
    spec["universe"]["tradable_on"] = "binance"
    strat = tmp_path / "ai_index_binance.yaml"
    strat.write_text(yaml.safe_dump(spec))
    sim = make_sim(usd, {"USDT": 10_000.0})
    try:
        b = broker_for(sim)
        b.sync_time()
        save_market_list(b.markets(), "binance", "USDT", reference.close.index[-1])  # dated at the decision bar
        from indexer.execution import value_account
        from indexer.strategy import Strategy

        v = value_account(b, "USDT")
        tp = Strategy.from_yaml(strat).target(reference, reference.close.index[-1], previous=v.weights)
        want = {a: float(x) for a, x in tp.weights.items() if x > 0}
        assert "CRO" not in want and max(x for a, x in want.items() if a != "CASH") <= 0.3 + 1e-9
        cfg = sim.write_config(tmp_path / "sim.yaml")
        cfg.write_text(cfg.read_text() + "max_retries: 3\nbackoff_s: 0.01\nrate_limit: false\n")
        args = ["rebalance", str(strat), "--live", "--yes", "--config", str(cfg)]
        first = runner.invoke(app, args, terminal_width=200)
        assert first.exit_code == 0, first.output
        assert "no market to trade CRO" not in first.output  # the strategy left CRO out itself
        w, _ = account_weights(sim)
        assert "CRO" not in w and max(v for a, v in w.items() if a != "CASH") <= 0.3 + 1e-3
        n = len(sim.engine.orders)
        again = runner.invoke(app, args, terminal_width=200)
        assert again.exit_code == 0 and "nothing to trade" in again.output, again.output
        assert len(sim.engine.orders) == n and client_ids_accepted_once(sim)
        assert tracking_error(w, want) <= 0.005, (w, want)
    finally:
        sim.stop()
