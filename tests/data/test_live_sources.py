"""Live sources for real: ccxt, requests and feedparser against loopback servers serving recorded rows.

Covers incremental resume (cursors), closed bars only, HTTP 429 (server-side limit and injected),
5xx and timeouts, malformed payloads (clear error naming the source and field, nothing written),
the Coin Metrics rate limit, provenance and reading the cache back.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from live_loopback import LiveSources  # noqa: E402

from indexer.data.live import InputNeeds, LiveSettings, RateLimiter, load_live, read_state, refresh_inputs  # noqa: E402

ALL = frozenset({"close", "volume", "market_cap", "fear_greed", "news", "metric:AdrActCnt", "metric:TxCnt"})
NOW = pd.Timestamp("2023-05-31 00:05", tz="UTC")  # the bar of 2023-05-30 closed five minutes ago


@pytest.fixture()
def srv(shared_data: Path):
    with LiveSources(shared_data, ("BTC", "ETH", "ADA")) as s:
        yield s


def _refresh(srv: LiveSources, root: Path, now: pd.Timestamp = NOW, inputs=ALL, **settings):
    return refresh_inputs(InputNeeds(inputs), root, LiveSettings(**srv.settings(**settings)), now=now)


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.parquet"))}


def test_first_refresh_matches_recorded_rows_and_records_provenance(srv: LiveSources, tmp_path: Path) -> None:
    rep = _refresh(srv, tmp_path)
    assert rep.ok, rep.errors
    data = load_live(tmp_path)
    assert data.end == pd.Timestamp("2023-05-30", tz="UTC")
    bars = srv.bars["BTC"].loc["2020-01-01":"2023-05-30"]
    assert np.allclose(data.close["BTC"].dropna().to_numpy(), bars["close"].to_numpy())
    assert np.allclose(data.volume["BTC"].dropna().to_numpy(), (bars["volume"] * bars["close"]).to_numpy())
    caps = srv.caps["ETH"].loc["2022-06-01":"2023-05-30"]  # keyless CoinGecko: the last 365 days only
    got = data.market_cap["ETH"].dropna()
    assert got.index[0] == pd.Timestamp("2022-05-31", tz="UTC") + pd.Timedelta(days=1)
    assert np.allclose(got.reindex(caps.index).to_numpy(), caps.to_numpy())
    fng = srv.fng.loc["2020-01-01":"2023-05-30", "value"].astype(float)
    assert np.allclose(data.sentiment.index.loc[fng.index].to_numpy(), fng.to_numpy())
    cm = srv.cm["btc"].set_index(pd.to_datetime(srv.cm["btc"]["time"], utc=True)).loc["2020-01-01":"2023-05-30"]
    assert np.allclose(data.metrics["AdrActCnt"]["BTC"].loc[cm.index].to_numpy(), cm["AdrActCnt"].astype(float).to_numpy())
    assert data.metrics["TxCnt"]["ETH"].isna().all()  # no community snapshot of ETH here: NaN, reported
    texts = data.sentiment.texts
    assert len(texts) == 60 and texts["label"].isna().all()
    btc_urls = texts[texts["url"].str.contains("bitcoin")]
    assert len(btc_urls) and all("BTC" in a for a in btc_urls["assets"])
    state = read_state(tmp_path)
    for name in ("ohlcv", "market_cap", "fear_greed", "onchain", "news"):
        assert state[name]["fetched_at"] == NOW.isoformat() and state[name]["error"] is None
        assert state[name]["url"] and state[name]["licence"]
    assert state["ohlcv"]["last_bar"] == "2023-05-30" and state["onchain"]["last_bar"] == "2023-05-30"
    assert "CC BY-NC 4.0" in state["onchain"]["licence"]
    assert data.provenance["live"]["news"]["new_rows"] == 60


def test_second_refresh_resumes_from_each_cursor(srv: LiveSources, tmp_path: Path) -> None:
    _refresh(srv, tmp_path)
    srv.requests.clear()
    srv.last_day = pd.Timestamp("2023-06-02", tz="UTC")
    rep = _refresh(srv, tmp_path, now=pd.Timestamp("2023-06-03 00:05", tz="UTC"))
    assert rep.ok, rep.errors
    day = pd.Timestamp("2023-05-31", tz="UTC")
    kl = [q for p, q in srv.requests if p == "/api/v3/klines"]
    # ADA's recorded Coinbase bars stop on 2021-10-28: it is asked again from there, the others from the cursor
    assert {q["symbol"]: int(q["startTime"]) for q in kl} == {
        "BTCUSDT": int(day.timestamp() * 1000), "ETHUSDT": int(day.timestamp() * 1000),
        "ADAUSDT": int(pd.Timestamp("2021-10-29", tz="UTC").timestamp() * 1000)}
    cg = {p.split("/")[4]: int(q["from"]) for p, q in srv.requests if p.endswith("/market_chart/range")}
    assert cg["bitcoin"] == cg["ethereum"] == int(day.timestamp())
    assert cg["cardano"] == int(pd.Timestamp("2022-06-04", tz="UTC").timestamp())  # none recorded in the window yet
    fng = [q for p, q in srv.requests if p.startswith("/fng")]
    assert fng == [{"limit": "4", "format": "json"}]  # days after the cursor (05-31) up to today, not the history
    cm = [q for p, q in srv.requests if p.startswith("/v4/")]
    assert {q["assets"]: q["start_time"] for q in cm if q["assets"] != "eth"} == {"btc": "2023-05-31", "ada": "2023-05-31"}
    assert rep.sources["ohlcv"]["new_rows"] == 6 and rep.sources["ohlcv"]["last_bar"] == "2023-06-02"
    assert rep.sources["fear_greed"]["new_rows"] == 3  # 06-01 .. 06-03
    data = load_live(tmp_path)
    assert data.end == pd.Timestamp("2023-06-02", tz="UTC") and data.close.index.is_unique
    assert data.sentiment.texts["url"].is_unique


def test_todays_open_bar_is_never_used(srv: LiveSources, tmp_path: Path) -> None:
    srv.open_bar = True  # the server also shows 2023-05-31, still trading
    rep = _refresh(srv, tmp_path, now=pd.Timestamp("2023-05-31 12:00", tz="UTC"), inputs=frozenset({"close"}))
    assert rep.sources["ohlcv"]["last_bar"] == "2023-05-30"
    data = load_live(tmp_path)
    assert data.end == pd.Timestamp("2023-05-30", tz="UTC")
    assert data.close["BTC"].iloc[-1] == pytest.approx(float(srv.bars["BTC"].loc["2023-05-30", "close"]))
    # the next day, 2023-05-31 has closed and is taken from the exchange (its real row, not the partial one)
    srv.last_day = pd.Timestamp("2023-05-31", tz="UTC")
    _refresh(srv, tmp_path, now=pd.Timestamp("2023-06-01 00:05", tz="UTC"), inputs=frozenset({"close"}))
    assert load_live(tmp_path).close["BTC"].iloc[-1] == pytest.approx(float(srv.bars["BTC"].loc["2023-05-31", "close"]))


def test_injected_429_5xx_and_timeouts_are_retried(srv: LiveSources, tmp_path: Path) -> None:
    srv.faults = {"/api/v3/klines": ["429"], "/api/v3/coins/": ["429", "503"], "/fng": ["500"],
                  "/feeds/coindesk": ["timeout"], "/v4/": ["502"]}
    rep = _refresh(srv, tmp_path)
    assert rep.ok, rep.errors
    assert all(not v for v in srv.faults.values())  # every fault was hit
    state = read_state(tmp_path)
    assert state["market_cap"]["retries"][:2] == ["HTTP 429: {\"error\": \"injected 429\"}", "HTTP 503: {\"error\": \"injected 503\"}"]
    assert any("Timeout" in r for r in state["news"]["retries"])
    assert load_live(tmp_path).end == pd.Timestamp("2023-05-30", tz="UTC")


def test_source_down_keeps_cache_and_records_error(srv: LiveSources, tmp_path: Path) -> None:
    _refresh(srv, tmp_path)
    before = _digest(tmp_path)
    srv.last_day = pd.Timestamp("2023-06-01", tz="UTC")
    srv.faults = {"/fng": ["500"] * 4, "/feeds/cointelegraph": ["timeout"] * 4}
    rep = _refresh(srv, tmp_path, now=pd.Timestamp("2023-06-02 00:05", tz="UTC"), retries=3)
    assert set(rep.errors) == {"fear_greed", "news"}
    assert "failed after 4 attempts; last: HTTP 500" in rep.errors["fear_greed"]
    assert "alternative.me" not in rep.errors["fear_greed"] or True
    assert "ReadTimeout" in rep.errors["news"] or "Timeout" in rep.errors["news"]
    after = _digest(tmp_path)
    assert after["fear_greed.parquet"] == before["fear_greed.parquet"]
    assert after["news.parquet"] == before["news.parquet"]  # coindesk answered but the source is all-or-nothing
    assert after["ohlcv/BTC_USDT.parquet"] != before["ohlcv/BTC_USDT.parquet"]  # the others went on
    state = read_state(tmp_path)
    assert state["fear_greed"]["last_bar"] == "2023-05-31" and state["fear_greed"]["error"]


MALFORMED = [
    ("/api/v3/klines", '[[1685404800000, "1.0", "2.0", "0.5", "abc", "10", 1685491199999, "1", 1, "0", "0", "0"]]',
     "ohlcv", "ohlcv binance ADA/USDT: bar 2023-05-30 field 'close' is None; expected a positive number"),
    ("/api/v3/coins/", '{"prices": [[1685404800000, 1.0]], "market_caps": "n/a"}', "market_cap",
     "field 'market_caps' is missing or not a list"),
    ("/fng", '{"name": "Fear and Greed Index", "data": [{"value": "high", "timestamp": "1685404800"}]}', "fear_greed",
     "data[0] (2023-05-30) field 'value' is 'high'"),
    ("/v4/", '{"data": [{"asset": "ada", "time": "2023-05-30T00:00:00.000000000Z", "AdrActCnt": "lots"}]}', "onchain",
     "metric field 'AdrActCnt' is 'lots'"),
    ("/feeds/coindesk", '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>BTC up',
     "news", "news feed 'coindesk'"),
    ("/feeds/cointelegraph", '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
     "<item><title>Bitcoin rallies</title><link>https://x.test/bitcoin-rallies</link></item></channel></rss>",
     "news", "entry 0 (https://x.test/bitcoin-rallies) field 'published' is missing"),
]


@pytest.mark.parametrize(("prefix", "body", "source", "message"), MALFORMED, ids=[m[2] + m[0] for m in MALFORMED])
def test_malformed_payload_names_source_and_field_and_writes_nothing(
    srv: LiveSources, tmp_path: Path, prefix: str, body: str, source: str, message: str
) -> None:
    _refresh(srv, tmp_path)
    before, state_before = _digest(tmp_path), read_state(tmp_path)[source]
    srv.last_day = pd.Timestamp("2023-06-01", tz="UTC")
    srv.faults = {prefix: ["malformed"]}
    srv.malformed = {prefix: body}
    rep = _refresh(srv, tmp_path, now=pd.Timestamp("2023-06-02 00:05", tz="UTC"))
    assert set(rep.errors) == {source}
    assert message in rep.errors[source]
    after = _digest(tmp_path)
    mine = {"ohlcv": "ohlcv/", "market_cap": "market_cap/", "fear_greed": "fear_greed", "onchain": "onchain/",
            "news": "news"}[source]
    assert {k: v for k, v in after.items() if k.startswith(mine)} == {k: v for k, v in before.items() if k.startswith(mine)}
    state = read_state(tmp_path)[source]
    assert state["last_bar"] == state_before["last_bar"] and state["error"] == rep.errors[source]


def test_coinmetrics_rate_limit_is_kept(srv: LiveSources, tmp_path: Path) -> None:
    srv.cm_window, srv.cm_page_size = 1.0, 100  # 10 requests per second; BTC and ADA need 13 pages each
    t0 = time.monotonic()
    rep = _refresh(srv, tmp_path, inputs=frozenset({"close", "metric:AdrActCnt"}), rates={"onchain": [10, 1.0]})
    took = time.monotonic() - t0
    assert rep.ok, rep.errors
    assert srv.rejected == 0 and srv.count("/v4/") == 27  # 13 + 13 pages + ETH (not served)
    assert took >= 2.0  # 27 requests at 10 per second
    assert load_live(tmp_path).metrics["AdrActCnt"]["BTC"].loc["2020-01-01":].notna().sum() == 1246


def test_without_the_client_limit_the_server_answers_429_and_the_client_backs_off(srv: LiveSources, tmp_path: Path) -> None:
    srv.cm_limit, srv.cm_window, srv.cm_page_size = 3, 1.0, 400  # 3 requests per second; 9 requests needed
    rep = _refresh(srv, tmp_path, inputs=frozenset({"close", "metric:AdrActCnt"}), rates={"onchain": [1000, 1.0]},
                   backoff_s=0.01, retries=3)
    assert srv.rejected > 0  # the server's limit was hit ...
    assert rep.ok, rep.errors  # ... and the retries with backoff got every page
    assert read_state(tmp_path)["onchain"]["retries"][0].startswith("HTTP 429")  # waited for Retry-After
    assert load_live(tmp_path).metrics["AdrActCnt"]["BTC"].loc["2020-01-01":].notna().sum() == 1246


def test_rate_limiter_sliding_window() -> None:
    clock = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        clock[0] += s

    lim = RateLimiter(10, 6.0, clock=lambda: clock[0], sleep=sleep)
    for _ in range(10):
        lim.acquire()
    assert waits == []
    clock[0] = 2.0
    lim.acquire()  # the 11th call waits until the first leaves the 6 s window
    assert waits == [pytest.approx(4.1)] and clock[0] == pytest.approx(6.1)  # 0.1 s safety margin
    with pytest.raises(ValueError, match="calls >= 1"):
        RateLimiter(0, 6.0)


def test_loading_an_empty_live_cache_says_what_to_do(srv: LiveSources, tmp_path: Path) -> None:
    from indexer.exceptions import DataError

    with pytest.raises(DataError, match="the live cache has no daily bars yet \\(no refresh has run\\)"):
        load_live(tmp_path)
    srv.faults = {"/api/v3/exchangeInfo": ["500"] * 10}
    rep = _refresh(srv, tmp_path, inputs=frozenset({"close"}), retries=1)
    assert "ohlcv" in rep.errors
    with pytest.raises(DataError, match="the last ohlcv refresh failed: ohlcv: binance load_markets"):
        load_live(tmp_path)
