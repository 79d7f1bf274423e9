"""Every broker goes through the same checks: the paper broker and ccxt on the simulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indexer._typing import OrderIntent
from indexer.exceptions import ConfigError, OrderRejected
from indexer.execution import Broker, CcxtBroker, PaperBroker, TradingBroker, client_order_id
from indexer.execution.client_ids import CLIENT_ID_PATTERN
from indexer.execution.market_info import ccxt_markets

from .helpers import PRICES, broker_for


@pytest.fixture(params=["paper", "ccxt-sim"])
def broker(request, make_sim):
    if request.param == "paper":
        ex = ccxt_markets(PRICES, btc_only=["XYZ"])
        prices = {s: PRICES[m["base"]] / (PRICES[m["quote"]] if m["quote"] != "USDT" else 1.0)
                  for s, m in ex.markets.items()}
        return PaperBroker(ex, prices, {"USDT": 10_000})
    sim = make_sim()
    assert sim.url.startswith("http://127.0.0.1:")  # loopback only
    return broker_for(sim)


def test_protocols(broker):
    assert isinstance(broker, Broker) and isinstance(broker, TradingBroker)
    m = broker.markets()
    assert {"BTC/USDT", "ETH/USDT", "XYZ/BTC"} <= set(m)
    assert m["BTC/USDT"].min_cost == 5


def test_buy_then_sell_updates_holdings_and_reports_fills(broker):
    fills = broker.place([OrderIntent("ETH/USDT", "buy", Decimal("0.5"), client_order_id=client_order_id("c", 0))])
    assert sum(f.amount for f in fills) == Decimal("0.5") and fills[0].fee_currency == "ETH"
    eth = broker.fetch_holdings().quantity("ETH")
    assert eth == Decimal("0.5") * Decimal("0.999")
    sell = broker.amount_to_precision("ETH/USDT", eth)
    assert sell == Decimal("0.4995")
    fills = broker.place([OrderIntent("ETH/USDT", "sell", sell, client_order_id=client_order_id("c", 1))])
    assert fills[0].side == "sell" and fills[0].fee_currency == "USDT"
    assert broker.fetch_holdings().quantity("ETH") == 0
    assert broker.fetch_holdings().quantity("USDT") < Decimal(10_000)


def test_same_client_id_is_one_order(broker):
    intent = OrderIntent("BTC/USDT", "buy", Decimal("0.001"), client_order_id=client_order_id("idem", 3))
    first, second = broker.submit(intent), broker.submit(intent)
    assert first.id == second.id
    assert broker.fetch_holdings().quantity("BTC") == Decimal("0.001") * Decimal("0.999")
    assert broker.fetch_order("BTC/USDT", client_order_id=intent.client_order_id).id == first.id
    assert broker.fetch_order("BTC/USDT", client_order_id="ix-unknown-0-0") is None


@pytest.mark.parametrize("amount, match", [("0.00003", "NOTIONAL|notional"), ("1", "insufficient")])
def test_rejections(broker, amount, match):
    with pytest.raises(OrderRejected, match=match):
        broker.submit(OrderIntent("BTC/USDT", "buy", Decimal(amount), client_order_id="rej-1"))


def test_prices(broker):
    px = broker.fetch_prices(["BTC/USDT", "ETH/USDT"])
    assert px["BTC/USDT"] == pytest.approx(Decimal("111466.2"), rel=Decimal("2e-4"))


def test_client_ids_are_deterministic_and_binance_valid():
    a = client_order_id("top10_capped-20251024-abcdef12", 12, 31)
    assert a == client_order_id("top10_capped-20251024-abcdef12", 12, 31)
    assert a != client_order_id("top10_capped-20251024-abcdef12", 12, 32)
    assert CLIENT_ID_PATTERN.match(a) and len(a) <= 36


def test_sandbox_mode_where_offered():
    b = CcxtBroker("binance", credentials=None, sandbox=True)
    assert "testnet" in b.exchange.urls["api"]["public"]
    with pytest.raises(ConfigError, match="kraken offers no sandbox"):
        CcxtBroker("kraken", sandbox=True)
    with pytest.raises(ConfigError, match="unknown ccxt exchange id 'nope'"):
        CcxtBroker("nope")


def test_trade_side_comes_from_the_trade_else_the_order_and_must_be_buy_or_sell():
    from indexer.exceptions import ExecutionError
    from indexer.execution.ccxt_convert import fills_from_trades

    trade = {"id": "t1", "symbol": "BTC/USDT", "amount": 0.5, "price": 100.0, "fee": {"cost": 0.05, "currency": "USDT"}}
    (fill,) = fills_from_trades([trade], "cid-1", "sell")
    assert (fill.side, fill.amount, fill.price, fill.fee) == ("sell", Decimal("0.5"), Decimal("100.0"), Decimal("0.05"))
    assert fills_from_trades([{**trade, "side": "buy"}], "cid-1", "sell")[0].side == "buy"
    with pytest.raises(ExecutionError, match=r"trade 't1' on BTC/USDT: field 'side' is None; expected 'buy' or 'sell'"):
        fills_from_trades([trade])
    with pytest.raises(ExecutionError, match=r"field 'side' is 'short'"):
        fills_from_trades([{**trade, "side": "short"}], "cid-1", "buy")
