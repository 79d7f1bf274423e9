"""The bot on live data, end to end: the exchange simulator (real ccxt, signed requests) plus loopback
servers for the five data sources (recorded-format responses of Binance klines, CoinGecko,
alternative.me, Coin Metrics community v4 and RSS feeds).

``ai_index`` is traded at 2023-05-31 00:05 UTC: every input (prices, volumes, caps, Fear & Greed, news
and the on-chain ``FeeTotUSD`` of its fee-yield signal) is refreshed first and is fresh.
A backtest on the cache the bot built gives the same target at the last date as the bot did.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from botkit import API_KEY, API_SECRET, REPO, Receiver, write_config

sys.path.insert(0, str(REPO / "tests"))
from live_loopback import LiveSources  # noqa: E402

from indexer.bot import load_bot_settings, open_bot, run_once  # noqa: E402
from indexer.bot.status import collect_status  # noqa: E402

ASSETS = ("AAVE", "ALGO", "BCH", "BNT", "BTC", "DASH", "EOS", "ETC", "ETH", "FIL", "GRT", "LINK", "LTC", "OXT", "ADA")
NOW = dt.datetime(2023, 5, 31, 0, 5, tzinfo=dt.UTC)
AI_INDEX = REPO / "strategies" / "ai_index.yaml"


def _live_cfg(path: Path, srv: LiveSources, *, strategy: Path = AI_INDEX, sim=None, hook: str | None = None,
              **live) -> Path:
    extra = {"strategy": str(strategy),
             "data": {"source": "live", "max_age_hours": 36, "path": str(path.parent / "live-cache"),
                      "live": srv.settings(**live)}}
    if hook:
        extra["notify"] = [{"kind": "webhook", "url": hook}]
    return write_config(path, db_url=f"sqlite:///{path.parent / 'bot.sqlite'}", sim=sim, **extra)


@pytest.fixture(scope="module")
def traded(reference, tmp_path_factory: pytest.TempPathFactory, shared_data: Path):
    """One sandbox run of ai_index against the simulator and the live loopback sources (shared by the tests)."""
    from indexer.sim import SimServer

    tmp = tmp_path_factory.mktemp("bot-live")
    receiver = Receiver()
    with LiveSources(shared_data, ASSETS) as srv:
        closes = {a: float(b.loc[:srv.last_day, "close"].iloc[-1]) for a, b in srv.bars.items()}
        sim = SimServer(closes, {"USDT": 10_000}, api_key=API_KEY, api_secret=API_SECRET).start()
        mp = pytest.MonkeyPatch()
        mp.setenv("TEST_SIM_KEY", API_KEY)
        mp.setenv("TEST_SIM_SECRET", API_SECRET)
        try:
            path = _live_cfg(tmp / "bot.yaml", srv, sim=sim, hook=receiver.url(), seed_news=True)
            cfg = load_bot_settings(path)
            result = run_once(cfg, now=NOW)
            first_requests = list(srv.requests)
            srv.requests.clear()
            again = run_once(cfg, now=NOW + dt.timedelta(hours=1))  # same bar: skipped, refresh asks for nothing old
            with open_bot(cfg, logs=False) as bot:
                run = bot.store.run(result.run_id)
                events = bot.store.events_for(cfg.account, 100)
                status = collect_status(bot, query_exchange=False)
            state = sim.engine.snapshot() if hasattr(sim.engine, "snapshot") else None
            yield {"cfg": cfg, "result": result, "again": again, "run": run, "events": events, "status": status,
                   "bodies": list(receiver.bodies), "first_requests": first_requests,
                   "second_requests": list(srv.requests), "sim_state": state, "closes": closes}
        finally:
            mp.undo()
            sim.stop()
            receiver.close()


def test_ai_index_trades_on_fresh_refreshed_inputs(traded) -> None:
    res = traded["result"]
    assert res.status == "done", res.message
    assert res.as_of == pd.Timestamp("2023-05-30", tz="UTC")
    assert res.orders >= 3 and res.tracking_error is not None and res.tracking_error < 0.01
    fresh = traded["run"]["target"]["diagnostics"]["freshness"]
    inputs = fresh["inputs"]
    assert set(inputs) == {"close", "volume", "market_cap", "fear_greed", "news", "metric:FeeTotUSD"}
    for key in ("close", "volume", "market_cap", "fear_greed", "news", "metric:FeeTotUSD"):
        e = inputs[key]
        assert not e["stale"] and e["last"] == "2023-05-30", (key, e)
        assert e["age_days"] == pytest.approx(5 / 1440, abs=1e-3)  # closed five minutes before the run
        assert e["fetched_at"] == "2023-05-31T00:05:00+00:00" and e["url"].startswith("http://127.0.0.1:")
        assert e["refresh_error"] is None
    # every input fresh: nothing dropped, both the news and the on-chain signal are in the blend
    assert fresh["blocked"] == [] and fresh["dropped_signals"] == {} and fresh["ok"]
    diag = traded["run"]["target"]["diagnostics"]
    blend = diag["contributions"][next(iter(diag["contributions"]))]
    assert "news_volume" in blend and "fee_revenue" in blend
    # the check is in the events, the done message and the run notification
    kinds = {e["kind"]: e for e in traded["events"]}
    assert "refresh" in kinds and "freshness" in kinds and "all 6 inputs fresh" in kinds["freshness"]["message"]
    assert "inputs: all 6 inputs fresh" in res.message
    run_note = next(b for b in traded["bodies"] if b["event"] == "run")
    assert run_note["data"]["freshness"]["dropped_signals"] == {}


def test_every_source_was_refreshed_then_resumed(traded) -> None:
    first = {p.split("/")[1] if not p.startswith("/api") else p.split("/")[3] for p, _ in traded["first_requests"]}
    assert {"klines", "exchangeInfo", "coins", "fng", "v4", "feeds"} <= first
    assert traded["again"].status == "skipped"
    second = traded["second_requests"]
    # an hour later nothing new has closed: no kline page, no CoinGecko or Coin Metrics history asked again
    # (ADA's recorded bars and caps stop in 2021: it is asked again each time, from its own cursor)
    assert [q["symbol"] for p, q in second if p == "/api/v3/klines"] == ["ADAUSDT"]
    assert [p for p in (p for p, _ in second) if p.endswith("/market_chart/range")] == ["/api/v3/coins/cardano/market_chart/range"]
    cm = [q for p, q in second if p.startswith("/v4/")]
    # btc and ada are up to date (cursor 2023-05-31 = today, not closed); the assets the community API had
    # nothing for are asked again weekly, not every run
    assert cm == []


def test_status_lists_every_input_with_age_and_source(traded) -> None:
    st = traded["status"]["inputs"]
    assert {k: v["source"] for k, v in st["inputs"].items()} == {
        "close": "ohlcv", "volume": "ohlcv", "market_cap": "market_cap", "fear_greed": "fear_greed", "news": "news",
        "metric:FeeTotUSD": "onchain"}
    assert all(v["age_days"] is not None for v in st["inputs"].values())


def test_backtest_on_the_live_cache_gives_the_bots_target(traded) -> None:
    from indexer.backtesting.costs import CostModel
    from indexer.backtesting.walk import walk_forward
    from indexer.bot.live_inputs import live_cache_dir
    from indexer.data.live import load_live
    from indexer.runcache import RunCache
    from indexer.strategy import Strategy
    from indexer.strategy.freshness import apply_fallbacks

    run = traded["run"]
    data = load_live(live_cache_dir(traded["cfg"]))  # the loader every backtest on this cache uses
    strategy = apply_fallbacks(Strategy.from_yaml(AI_INDEX), run["target"]["diagnostics"]["freshness"])
    day = pd.Timestamp("2023-05-30", tz="UTC")
    # the backtest's decision loop (indexer.backtesting.backtest without the vectorbt simulation), deciding at the
    # last bar from all cash like the bot's fresh account; a fresh run cache, so its ML models are fitted anew
    with RunCache():
        bt = walk_forward(strategy, data, start=day, end=day, costs=CostModel(), init_cash=10_000.0,
                          execution="same_close")
    last = bt.targets[-1]
    assert last.as_of == pd.Timestamp("2023-05-30", tz="UTC")
    bot = pd.Series(run["target"]["weights"]).sort_index()
    got = last.weights[last.weights.abs() > 0].sort_index()
    assert list(got.index) == list(bot[bot.abs() > 0].index)
    assert got.to_numpy() == pytest.approx(bot[bot.abs() > 0].to_numpy(), abs=1e-9)


def test_stale_required_input_blocks_the_run_with_a_notification(reference, tmp_path: Path, shared_data: Path,
                                                                 receiver: Receiver) -> None:
    with LiveSources(shared_data, ("BTC", "ETH", "LTC")) as srv:
        srv.faults = {"/fng": ["500"] * 20}  # alternative.me down from the start: Fear & Greed never observed
        cfg = load_bot_settings(_live_cfg(tmp_path / "bot.yaml", srv, hook=receiver.url(), retries=1))
        res = run_once(cfg, now=NOW)
    assert res.status == "blocked"
    assert "overlay regime_filter" in res.message and "fear_greed never observed" in res.message
    assert "(refresh failed: fear_greed http://127.0.0.1:" in res.message and "HTTP 500" in res.message
    with open_bot(cfg, logs=False) as bot:
        run = bot.store.run(res.run_id)
        assert run["status"] == "blocked" and run["step"] == "started" and run["target"] is None
        assert bot.store.orders_of(res.run_id) == []
    err = next(b for b in receiver.bodies if b["event"] == "error")
    assert "StaleInputsError" in err["text"] and "fear_greed" in err["text"]


def test_stale_optional_signal_is_dropped_and_recorded(reference, tmp_path: Path, shared_data: Path,
                                                       receiver: Receiver) -> None:
    strategy = tmp_path / "mom_news.yaml"
    strategy.write_text(yaml.safe_dump({
        "name": "mom_news", "universe": {"top_n": 3, "rank_by": "market_cap", "min_history_days": 90},
        "signals": {"signals": [{"name": "momentum", "params": {"horizon": 30}},
                                {"name": "news_sentiment", "weight": 1.0, "on_stale": "drop"}], "scale": 0.02},
        "optimiser": {"objective": "mean_variance", "params": {"risk_aversion": 1.0}, "constraints": {"max_weight": 0.6}},
    }))
    with LiveSources(shared_data, ("BTC", "ETH", "LTC")) as srv:
        srv.faults = {"/feeds/": ["timeout"] * 20}
        srv.timeout_s = 0.3
        cfg = load_bot_settings(_live_cfg(tmp_path / "bot.yaml", srv, strategy=strategy, hook=receiver.url(),
                                        retries=1, timeout_s=0.2))
        res = run_once(cfg, now=NOW)
    assert res.status == "done", res.message
    with open_bot(cfg, logs=False) as bot:
        diag = bot.store.run(res.run_id)["target"]["diagnostics"]
    reason = diag["freshness"]["dropped_signals"]["news_sentiment"]
    assert reason.startswith("dropped, blend renormalised: news never observed (refresh failed:")
    assert diag["signals"]["weights"] == {"momentum": 1.0} if "weights" in diag.get("signals", {}) else True
    assert all(set(c) == {"momentum"} for c in diag["contributions"].values())
    note = next(b for b in receiver.bodies if b["event"] == "run")
    assert "news_sentiment" in note["text"] and "dropped" in note["text"]


def test_paper_example_rehearses_offline_and_says_so(reference, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from indexer.cli.main import app

    cfg = load_bot_settings(REPO / "examples" / "bot" / "paper.yaml")
    assert cfg.data.source == "live" and cfg.strategy == AI_INDEX and "coindesk" in cfg.data.live.feeds
    res = CliRunner().invoke(app, ["bot", "once", str(REPO / "examples" / "bot" / "paper.yaml"), "--offline"],
                             env={"COLUMNS": "250"})
    out = " ".join(res.output.split())
    assert res.exit_code == 0, res.output
    assert out.startswith("REHEARSAL on the offline reference data (historical, not live): account "
                          "paper-ai-rehearsal, clock 2025-05-03 00:05 UTC")
    assert "REHEARSAL done: run" in out and "done for 2025-05-02" in out
    assert "signal news_volume: dropped" in out and "signal fee_revenue: dropped" in out
    with open_bot(cfg, logs=False) as bot:  # the live account itself was not touched
        assert bot.store.runs_for(cfg.account, limit=5) == []
    res = CliRunner().invoke(app, ["bot", "once", str(REPO / "examples" / "bot" / "paper.yaml"), "--offline", "--live"])
    assert res.exit_code == 2 and "cannot trade with --live" in res.output


def test_live_settings_only_with_source_live(tmp_path: Path) -> None:
    from indexer.exceptions import ConfigError

    path = write_config(tmp_path / "bot.yaml", db_url="sqlite://", data={"source": "reference", "live": {"since": "2021-01-01"}})
    with pytest.raises(ConfigError, match="data.live is only read with source: live"):
        load_bot_settings(path)
    path = write_config(tmp_path / "bot.yaml", db_url="sqlite://",
                        data={"source": "live", "live": {"rates": {"onchain": [10, 6]}, "feed": {}}})
    with pytest.raises(ConfigError, match="data.live.feed"):
        load_bot_settings(path)
