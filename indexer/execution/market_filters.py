"""Spot market filters the simulator serves, from real recorded Binance data.

The seven USDT markets in :data:`RECORDED_FILTERS` restate the figures of ccxt's
recorded Binance fixture (``ts/src/test/static/markets/binance.json`` in the
public ``ccxt/ccxt`` repository): tick size, lot step, minimum / maximum
quantity, market-order maximum quantity and the NOTIONAL filter (5 USDT).

Every other asset gets *plausible* filters derived from its price
(:func:`derived_filters`), following the pattern of the recorded ones:

* tick size ``10 ** (floor(log10(price)) - 4)`` clipped to ``[1e-8, 0.01]``
  (about five significant digits, never coarser than a cent);
* lot step ``10 ** floor(log10(1 / price))`` clipped to ``[1e-8, 1]`` (one step
  is worth 0.1 to 1 USDT, like BTC's 0.00001 or BNB's 0.001);
* minimum notional 5 USDT, maximum notional 9,000,000 USDT.

BTC-quoted pairs (``ETH/BTC`` and any asset listed only against BTC) use a
minimum notional of 0.0001 BTC, as on Binance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["MarketFilters", "RECORDED_FILTERS", "derived_filters", "build_markets", "exchange_info_symbol"]


@dataclass(frozen=True)
class MarketFilters:
    """Filters of one spot market (all ``Decimal``, quote units for prices)."""

    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_price: Decimal
    max_price: Decimal
    min_notional: Decimal
    max_notional: Decimal
    market_max_qty: Decimal
    recorded: bool = False

    @property
    def symbol(self) -> str:
        """Unified symbol, e.g. ``BTC/USDT``."""
        return f"{self.base}/{self.quote}"

    @property
    def id(self) -> str:
        """Exchange id, e.g. ``BTCUSDT``."""
        return f"{self.base}{self.quote}"


D = Decimal

#: Recorded Binance spot filters (ccxt fixture ``markets/binance.json``):
#: tick, step (= min qty), max qty, max price, MARKET_LOT_SIZE max qty.
RECORDED_FILTERS: dict[str, tuple[str, str, str, str, str]] = {
    "BTC": ("0.01", "0.00001", "9000", "1000000", "128.52621715"),
    "ETH": ("0.01", "0.0001", "9000", "1000000", "3277.54882761"),
    "ADA": ("0.0001", "0.1", "900000", "1000", "3734056.71171548"),
    "LTC": ("0.01", "0.001", "90000", "100000", "20716.23115062"),
    "XRP": ("0.0001", "1", "9222449", "10000", "6858819.29288702"),
    "DOGE": ("0.00001", "1", "9000000", "1000", "28160624.66945606"),
    "TRX": ("0.00001", "0.1", "9000000", "1000", "7601219.25355648"),
}


def _pow10(exp: int) -> Decimal:
    return D(1).scaleb(exp)


def derived_filters(base: str, quote: str, price: float, usd_price: float | None = None) -> MarketFilters:
    """Plausible filters for a market without recorded data (see module docstring).

    ``price`` is in quote units; ``usd_price`` (the base's USD price, default
    ``price``) sets the lot step so that one step is worth 0.1 to 1 USD.
    """
    if not (price > 0 and math.isfinite(price)):
        raise ValueError(f"price of {base}/{quote} must be positive and finite, got {price}")
    mag = math.floor(math.log10(price))
    tick = min(max(_pow10(mag - 4), D("1e-8")), D("0.01"))
    step = min(max(_pow10(math.floor(math.log10(1.0 / (usd_price or price)))), D("1e-8")), D(1))
    btc = quote in ("BTC", "ETH")
    if btc:
        tick = max(_pow10(mag - 3), D("1e-8"))
    min_notional = D("0.0001") if btc else D(5)
    max_qty = (D("9e6") / D(str(usd_price or price))).quantize(step)
    return MarketFilters(
        base=base,
        quote=quote,
        tick_size=tick,
        step_size=step,
        min_qty=step,
        max_qty=max(max_qty, step),
        min_price=tick,
        max_price=(D(str(price)) * 1000).quantize(tick),
        min_notional=min_notional,
        max_notional=D(9_000_000) if not btc else D(9000),
        market_max_qty=max(max_qty / 10, step).quantize(step),
    )


def recorded_filters(base: str) -> MarketFilters:
    """Return the recorded ``BASE/USDT`` filters of :data:`RECORDED_FILTERS`."""
    tick, step, max_qty, max_price, mkt_max = RECORDED_FILTERS[base]
    return MarketFilters(
        base=base,
        quote="USDT",
        tick_size=D(tick),
        step_size=D(step),
        min_qty=D(step),
        max_qty=D(max_qty),
        min_price=D(tick),
        max_price=D(max_price),
        min_notional=D(5),
        max_notional=D(9_000_000),
        market_max_qty=D(mkt_max),
        recorded=True,
    )


def build_markets(
    prices_usd: Mapping[str, float],
    *,
    quote: str = "USDT",
    btc_only: Iterable[str] = (),
    cross_pairs: Iterable[str] = ("ETH/BTC",),
) -> dict[str, MarketFilters]:
    """Markets by unified symbol for assets priced in USD.

    Parameters
    ----------
    prices_usd
        Last price per asset in USD (= USDT); stablecoins other than ``quote`` get
        a ``/USDT`` market like any asset.
    btc_only
        Assets listed only against BTC (exercise routing via BTC).
    cross_pairs
        Extra ``BASE/BTC`` or ``BASE/ETH`` pairs.
    """
    only_btc = set(btc_only)
    out: dict[str, MarketFilters] = {}
    for asset, price in sorted(prices_usd.items()):
        if asset == quote or not (price and price > 0):
            continue
        if asset in only_btc:
            btc_price = float(prices_usd["BTC"])
            spec = derived_filters(asset, "BTC", price / btc_price, price)
        elif quote == "USDT" and asset in RECORDED_FILTERS:
            spec = recorded_filters(asset)
        else:
            spec = derived_filters(asset, quote, price)
        out[spec.symbol] = spec
    for sym in cross_pairs:
        base, q = sym.split("/")
        if base in prices_usd and q in prices_usd and sym not in out:
            spec = derived_filters(base, q, float(prices_usd[base]) / float(prices_usd[q]), float(prices_usd[base]))
            out[spec.symbol] = spec
    return out


def _s(x: Decimal) -> str:
    return f"{x:.8f}"


def exchange_info_symbol(spec: MarketFilters, status: str = "TRADING") -> dict[str, Any]:
    """One ``symbols`` entry of Binance's ``GET /api/v3/exchangeInfo`` (``status`` e.g. ``BREAK`` when halted)."""
    return {
        "symbol": spec.id,
        "status": status,
        "baseAsset": spec.base,
        "baseAssetPrecision": 8,
        "quoteAsset": spec.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": _s(spec.min_price), "maxPrice": _s(spec.max_price),
             "tickSize": _s(spec.tick_size)},
            {"filterType": "LOT_SIZE", "minQty": _s(spec.min_qty), "maxQty": _s(spec.max_qty),
             "stepSize": _s(spec.step_size)},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": _s(spec.market_max_qty),
             "stepSize": "0.00000000"},
            {"filterType": "NOTIONAL", "minNotional": _s(spec.min_notional), "applyMinToMarket": True,
             "maxNotional": _s(spec.max_notional), "applyMaxToMarket": False, "avgPriceMins": 5},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }
