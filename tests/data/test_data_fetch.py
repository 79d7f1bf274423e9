"""``indexer data fetch`` for real: the ccxt binance client and CoinGecko requests against loopback servers."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from data_loopback import LoopbackMarket

from indexer.data import load_reference
from indexer.data.fetched_data import fetch_to_cache, load_fetched
from indexer.exceptions import DataError, StaleDataError

SYMBOLS = ["BTC/USDT", "ETH/USDT"]


@pytest.fixture()
def market(shared_data: Path):
    with LoopbackMarket(shared_data) as m:
        yield m


def _fetch(market: LoopbackMarket, data_dir: Path, **kw):
    now = market.last_day + pd.Timedelta(days=1, hours=5)
    opts = dict(
        data_dir=data_dir,
        api_urls={"public": f"{market.url}/api/v3"},
        coingecko_url=f"{market.url}/api/v3",
        page_limit=30,
        now=now,
        progress=False,
        backoff=0.01,
    )
    opts.update(kw)
    return fetch_to_cache("binance", SYMBOLS, "2024-01-01", **opts)


def _klines(market: LoopbackMarket, symbol: str) -> list[dict]:
    return [q for p, q in market.requests if p == "/api/v3/klines" and q["symbol"] == symbol]


def test_fetch_pages_and_matches_real_rows(market: LoopbackMarket, tmp_path: Path) -> None:
    report = _fetch(market, tmp_path)
    assert report.symbols["BTC/USDT"]["new_bars"] == 91  # 2024-01-01 .. 2024-03-31
    assert len(_klines(market, "BTCUSDT")) == 4  # 30-bar pages
    data = load_fetched(report.directory)
    assert data.symbols == ["BTC", "ETH"]
    ref = market.bars["BTC"].loc["2024-01-01":"2024-03-31"]
    assert np.allclose(data.close["BTC"].to_numpy(), ref["close"].to_numpy())
    assert np.allclose(data.volume["BTC"].to_numpy(), (ref["volume"] * ref["close"]).to_numpy())
    caps = market.caps["ETH"].loc["2024-01-01":"2024-03-31"]
    assert np.allclose(data.market_cap["ETH"].reindex(caps.index).to_numpy(), caps.to_numpy())
    assert data.provenance["exchange"] == "binance"


def test_second_run_fetches_only_new_bars(market: LoopbackMarket, tmp_path: Path) -> None:
    _fetch(market, tmp_path)
    market.requests.clear()
    market.last_day = pd.Timestamp("2024-04-30", tz="UTC")
    report = _fetch(market, tmp_path)
    assert report.symbols["BTC/USDT"]["new_bars"] == 30
    assert report.market_caps["BTC"]["new_days"] == 30
    first = _klines(market, "BTCUSDT")[0]
    assert pd.Timestamp(int(first["startTime"]), unit="ms", tz="UTC") == pd.Timestamp("2024-04-01", tz="UTC")
    cg = [q for p, q in market.requests if p.endswith("/market_chart/range")][0]
    assert pd.Timestamp(int(cg["from"]), unit="s", tz="UTC") == pd.Timestamp("2024-04-01", tz="UTC")
    data = load_fetched(report.directory)
    assert len(data.close) == 121 and data.close.index.is_unique


def test_incomplete_today_bar_is_not_cached(market: LoopbackMarket, tmp_path: Path) -> None:
    # The server already shows 2024-03-31, but "now" is still 2024-03-31 12:00: that bar is incomplete.
    report = _fetch(market, tmp_path, now=pd.Timestamp("2024-03-31 12:00", tz="UTC"), coingecko=False)
    assert report.symbols["BTC/USDT"]["last"] == "2024-03-30"


def test_load_reference_falls_back_to_fetched(market: LoopbackMarket, tmp_path: Path) -> None:
    _fetch(market, tmp_path)
    data = load_reference(source=tmp_path / "no-shared-data", data_dir=tmp_path)
    assert data.provenance["format"] == "fetched" and "BTC" in data.symbols


def test_coingecko_rate_limit_is_retried(market: LoopbackMarket, tmp_path: Path) -> None:
    market.fail_next["/api/v3/coins/bitcoin/market_chart/range"] = 2
    report = _fetch(market, tmp_path)
    assert report.market_caps["BTC"]["new_days"] == 91


def test_unreachable_host_is_a_clean_data_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DataError, match=r"binance load_markets: network error after 2 attempts"):
        fetch_to_cache(
            "binance", SYMBOLS, "2024-01-01", data_dir=tmp_path, api_urls={"public": f"http://127.0.0.1:{port}/api/v3"},
            retries=1, backoff=0.01, progress=False, coingecko=False,
        )
    assert not (tmp_path / "fetch" / "binance" / "meta.json").exists()


def test_unknown_symbol_and_bad_quote(market: LoopbackMarket, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="'DOGE/USDT' is not listed"):
        fetch_to_cache("binance", ["DOGE/USDT"], "2024-01-01", data_dir=tmp_path, api_urls={"public": f"{market.url}/api/v3"}, progress=False, coingecko=False)
    with pytest.raises(DataError, match="quote 'EUR' is not USD"):
        fetch_to_cache("binance", ["BTC/EUR"], "2024-01-01", data_dir=tmp_path, progress=False)


def test_stale_data(market: LoopbackMarket, tmp_path: Path) -> None:
    with pytest.raises(StaleDataError, match="newest daily bar is 2024-03-31"):
        _fetch(market, tmp_path, now=pd.Timestamp("2024-06-01", tz="UTC"), max_age_days=5, coingecko=False)


def test_unknown_exchange_id(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unknown exchange 'nosuchexchange'"):
        fetch_to_cache("nosuchexchange", SYMBOLS, "2024-01-01", data_dir=tmp_path, progress=False, coingecko=False)
