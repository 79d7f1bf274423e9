"""The exchange simulator through the real ccxt binance client: filters, auth, state."""

from __future__ import annotations

import time
from decimal import Decimal

import ccxt
import pytest

from indexer._typing import OrderIntent
from indexer.exceptions import ConfigError, ExecutionError, OrderRejected
from indexer.execution import CcxtBroker, Credentials
from indexer.execution.market_filters import RECORDED_FILTERS, build_markets, derived_filters
from indexer.sim import parse_faults

from .helpers import assert_no_duplicates, broker_for


def test_markets_carry_the_recorded_binance_filters(sim):
    m = broker_for(sim).markets()
    btc, ada = m["BTC/USDT"], m["ADA/USDT"]
    # figures of ccxt's recorded fixture markets/binance.json
    assert btc.amount_step == Decimal("0.00001") and btc.price_step == Decimal("0.01")
    assert btc.min_cost == 5 and btc.max_market_amount == Decimal("128.52621715")
    assert ada.amount_step == Decimal("0.1") and ada.price_step == Decimal("0.0001")
    assert m["XRP/USDT"].amount_step == 1 and m["LTC/USDT"].max_amount == 90000
    assert "XYZ/BTC" in m and "XYZ/USDT" not in m and "ETH/BTC" in m
    assert set(RECORDED_FILTERS) == {"BTC", "ETH", "ADA", "LTC", "XRP", "DOGE", "TRX"}


@pytest.mark.parametrize("price", [7.13e-6, 0.15, 2.4, 17.9, 507.8, 3931.0, 111466.2])
def test_derived_filters_one_step_is_worth_ten_cents_to_a_dollar(price):
    spec = derived_filters("AAA", "USDT", price)
    step_value = float(spec.step_size) * price
    assert (0.1 <= step_value < 1.0) or spec.step_size == 1
    assert spec.tick_size <= Decimal("0.01") and float(spec.tick_size) <= max(price / 1e3, 1e-8)
    assert spec.min_notional == 5


def test_order_updates_balances_with_fee_in_received_currency(sim):
    b = broker_for(sim)
    order = b.submit(OrderIntent("BTC/USDT", "buy", Decimal("0.01"), client_order_id="t-1"))
    assert order.status == "closed" and order.filled == pytest.approx(Decimal("0.01"))
    held = b.fetch_holdings().balances
    assert held["BTC"] == Decimal("0.01") * Decimal("0.999")
    cost = order.cost
    assert held["USDT"] == pytest.approx(Decimal(10_000) - cost)
    fills = b.order_fills(order)
    assert sum(f.amount for f in fills) == Decimal("0.01") and all(f.side == "buy" for f in fills)
    assert fills[0].fee_currency == "BTC"


@pytest.mark.parametrize(
    "amount, symbol, expect",
    [("0.000001", "BTC/USDT", "minimum amount precision"),  # below the lot step (ccxt refuses)
     ("0.00003", "BTC/USDT", "NOTIONAL"),  # 0.00003 BTC ~ 3.3 USDT < 5
     ("1", "BTC/USDT", "insufficient balance"),
     ("5", "NOPE/USDT", "NOPE/USDT")],
)
def test_rejections_are_order_rejected_with_the_exchange_message(sim, amount, symbol, expect):
    b = broker_for(sim)
    with pytest.raises(OrderRejected, match=expect):
        b.submit(OrderIntent(symbol, "buy", Decimal(amount), client_order_id="t-rej"))
    assert len(sim.engine.orders) == 0


def test_limit_price_must_sit_on_the_tick(sim):
    b = broker_for(sim)
    b.markets()
    raw = b.exchange.privatePostOrder  # bypass ccxt's own rounding to reach the exchange filter
    with pytest.raises(ccxt.InvalidOrder, match="PRICE_FILTER"):
        raw({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
             "quantity": "0.001", "price": "100000.005"})


def test_duplicate_client_id_is_binance_2010_and_resolves_to_the_existing_order(sim):
    b = broker_for(sim)
    first = b.submit(OrderIntent("ETH/USDT", "buy", Decimal("0.1"), client_order_id="dup-1"))
    b.markets()
    with pytest.raises(ccxt.InvalidOrder, match="-2010.*Duplicate order sent"):
        b.exchange.create_order("ETH/USDT", "market", "buy", 0.1, None, {"clientOrderId": "dup-1"})
    again = b.submit(OrderIntent("ETH/USDT", "buy", Decimal("0.1"), client_order_id="dup-1"))
    assert again.id == first.id
    assert len(sim.engine.orders) == 1
    assert_no_duplicates(sim)


def test_bad_signature_and_stale_timestamp_are_refused(sim):
    wrong = CcxtBroker("binance", credentials=Credentials(sim.api_key, "not-the-secret"),
                       urls={"api": sim.ccxt_urls()}, max_retries=0)
    with pytest.raises(ExecutionError, match="authentication failed"):
        wrong.fetch_holdings()
    b = broker_for(sim, max_retries=0)
    b.markets()
    b.exchange.nonce = lambda: int(time.time() * 1000) - 120_000  # two minutes old
    with pytest.raises(ExecutionError, match="recvWindow"):
        b.fetch_holdings()


def test_limit_order_rests_then_cancel_releases_the_balance(sim):
    b = broker_for(sim)
    o = b.submit(OrderIntent("ETH/USDT", "buy", Decimal("0.5"), type="limit", price=Decimal("3000"),
                             client_order_id="lim-1"))
    assert o.status == "open"
    assert [x.client_order_id for x in b.open_orders("ETH/USDT")] == ["lim-1"]
    bal = b.exchange.fetch_balance()
    assert bal["USDT"]["used"] == pytest.approx(1500.0)
    b.cancel(o.id, "ETH/USDT")
    assert b.fetch_order("ETH/USDT", order_id=o.id).status == "canceled"
    assert b.exchange.fetch_balance()["USDT"]["free"] == pytest.approx(10_000.0)
    assert b.fetch_order("ETH/USDT", client_order_id="never-sent") is None


def test_order_book_and_prices(sim):
    b = broker_for(sim)
    book = b.fetch_order_book("BTC/USDT", 10)
    assert len(book.bids) == 10 and book.bids[0].price < book.asks[0].price
    px = b.fetch_prices(["BTC/USDT", "XYZ/BTC"])
    assert px["BTC/USDT"] == pytest.approx(Decimal("111466.2"), rel=Decimal("1e-4"))
    assert px["XYZ/BTC"] == pytest.approx(Decimal(2.5 / 111466.2), rel=Decimal("1e-3"))


def test_fault_spec_parsing():
    rules = parse_faults("429:order:2:1.5, timeout:POST order:1:3,5xx")
    assert [(r.kind, r.target, r.times, r.value) for r in rules] == [
        ("429", "order", 2, "1.5"), ("timeout", "POST order", 1, "3"), ("5xx", "*", 1, None)]
    with pytest.raises(ConfigError, match="unknown fault kind 'boom'"):
        parse_faults("boom:order")
    with pytest.raises(ConfigError, match="times must be an integer"):
        parse_faults("429:order:x")


def test_market_table_covers_routed_assets():
    markets = build_markets({"BTC": 100_000.0, "ETH": 4000.0, "ZZZ": 1.0}, btc_only=["ZZZ"])
    assert set(markets) == {"BTC/USDT", "ETH/USDT", "ZZZ/BTC", "ETH/BTC"}
    assert markets["ZZZ/BTC"].min_notional == Decimal("0.0001")


def test_klines_serve_the_daily_closes(reference, make_sim):
    from indexer.execution.market_info import last_prices

    sim = make_sim(prices=last_prices(reference), closes=reference.close, btc_only=[])
    b = broker_for(sim)
    b.markets()
    bars = b.exchange.fetch_ohlcv("BTC/USDT", "1d", limit=1000)
    closes = reference.close["BTC"].dropna()
    assert len(bars) == min(len(closes), 1000)
    assert bars[0][4] == pytest.approx(float(closes.iloc[0]))
    assert bars[-1][0] == closes.index[len(bars) - 1].value // 1_000_000
