"""The bot's account: a ``TradingBroker`` built from the config, and the data it trades on.

* ``paper``: :meth:`PaperBroker.from_market_data <indexer.execution.paper.PaperBroker.from_market_data>`
  priced at each asset's last close at or before the latest bar (assets whose
  last close is older than ``paper.max_price_age_hours`` get no market and are
  listed in ``broker.unpriced``), whose balances are the configured starting
  balances plus every fill the bot recorded, so the paper account survives
  restarts (and a crash before a fill was recorded simply means that paper
  order never happened).
* ``sandbox`` / ``live``: a :class:`~indexer.execution.ccxt_broker.CcxtBroker`
  with keys from the named environment variables or key file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from indexer._typing import CASH, Holdings
from indexer.bot.settings import BotSettings
from indexer.exceptions import ConfigError
from indexer.execution.settings import MAX_PAPER_BALANCE

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData
    from indexer.execution.broker import TradingBroker
    from indexer.execution.credentials import Credentials

__all__ = ["load_market_data", "build_broker", "paper_balances", "load_keys", "holdings_weights"]

ZERO = Decimal(0)


def load_market_data(cfg: BotSettings) -> MarketData:
    """Market data named by ``cfg.data`` (reference cache, CSV, parquet or the live cache)."""
    from indexer import data as d

    if cfg.data.source == "live":
        from indexer.bot.live_inputs import live_cache_dir
        from indexer.data.live import load_live

        return load_live(live_cache_dir(cfg))
    if cfg.data.source in ("csv", "parquet"):
        if cfg.data.path is None:
            raise ConfigError(f"data.source {cfg.data.source!r} needs data.path (a {cfg.data.source} file)")
        return d.read_csv(cfg.data.path) if cfg.data.source == "csv" else d.read_parquet(cfg.data.path)
    return d.load_reference()


def load_keys(cfg: BotSettings) -> Credentials | None:
    """Return the API keys from the configured environment variable names or key file (never from the config)."""
    from indexer.execution.credentials import settings_credentials

    return settings_credentials(cfg.exchange)


def paper_balances(start: Mapping[str, float], fills: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    """Return the starting balances plus recorded fills (dicts with symbol, side, amount, price, fee, fee_currency)."""
    bal = {c: Decimal(str(v)) for c, v in start.items()}
    for f in fills:
        base, quote = f["symbol"].split("/")
        amount, price = Decimal(str(f["amount"])), Decimal(str(f["price"]))
        sign = 1 if f["side"] == "buy" else -1
        bal[base] = bal.get(base, ZERO) + sign * amount
        bal[quote] = bal.get(quote, ZERO) - sign * amount * price
        if f.get("fee") and f.get("fee_currency"):
            bal[f["fee_currency"]] = bal.get(f["fee_currency"], ZERO) - Decimal(str(f["fee"]))
    for cur, q in bal.items():
        s0 = Decimal(str(start.get(cur, 0)))
        if q < 0 or q > Decimal(str(MAX_PAPER_BALANCE)):
            what = "negative" if q < 0 else "absurdly large"
            raise ConfigError(
                f"paper account: the recorded fills in the bot database leave {cur} at {q} ({what}; starting balance "
                f"{s0} from the config's paper.balances, fills net {q - s0}); the database does not match the config: "
                "use a new account name or restore the config's starting balances"
            )
    return bal


def build_broker(cfg: BotSettings, data: MarketData, recorded_fills: Iterable[Mapping[str, Any]],
                 *, live: bool = False) -> tuple[TradingBroker, list[str]]:
    """Return the account's broker and the secrets to redact.

    Raises
    ------
    ConfigError
        ``mode: live`` without ``live=True`` (the ``--live`` flag), bad credentials, or a
        negative paper balance.
    DataError
        Paper mode and no asset has a close within ``paper.max_price_age_hours`` of the latest bar.
    """
    if cfg.mode == "live" and not live:
        raise ConfigError("mode: live trades real money: pass --live as well (or use mode: paper / sandbox)")
    if live and cfg.mode != "live":
        raise ConfigError(f"--live given but the config says mode: {cfg.mode}; set mode: live to trade real money")
    quote = cfg.exchange.quote
    if cfg.mode == "paper":
        import pandas as pd

        from indexer.execution.paper import PaperBroker

        p = cfg.paper
        broker = PaperBroker.from_market_data(
            data, balances=paper_balances(p.balances, recorded_fills), quote=quote, fee_rate=p.fee_rate,
            slippage_bps=p.slippage_bps,
            max_age=None if p.max_price_age_hours is None else pd.Timedelta(hours=p.max_price_age_hours))
        return broker, []
    from indexer.execution.ccxt_broker import CcxtBroker

    creds = load_keys(cfg)
    if creds is None:
        raise ConfigError(f"mode {cfg.mode} needs API keys: set exchange.credentials (env variable names or key_file)")
    return CcxtBroker.from_settings(cfg.exchange, credentials=creds), creds.secrets()


def holdings_weights(holdings: Holdings, asset_prices: Mapping[str, Decimal | float], quote: str) -> tuple[dict[str, float], float]:
    """Weights (fractions, quote as ``CASH``) and total value (quote units) of ``holdings``.

    Currencies without a price are left out of both.
    """
    values: dict[str, float] = {}
    for cur, q in holdings.balances.items():
        if cur == quote:
            values[CASH] = values.get(CASH, 0.0) + float(q)
        elif cur in asset_prices:
            values[cur] = float(q) * float(asset_prices[cur])
    total = sum(values.values())
    weights = {k: v / total for k, v in values.items() if abs(v) > 0} if total > 0 else {}
    return weights, total
