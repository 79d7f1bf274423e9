"""``indexer rebalance STRATEGY --exchange ID [--paper | --live] [--yes]``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer

from indexer.cli.common import console, handle_errors

__all__ = ["register"]


def _compliance(strategy: Any, data: Any) -> Any:
    spec = getattr(strategy.spec, "compliance", None)
    if spec is None:
        return None
    from indexer.universe.compliance import check_weights

    return lambda w: check_weights(w, spec.profile, spec.rules, data.assets)


def _confirm(live: bool, yes: bool) -> None:
    from indexer.exceptions import ConfigError

    if not live or yes:
        return
    if not sys.stdin.isatty():
        raise ConfigError("refusing to place live orders without confirmation: stdin is not a terminal (pass --yes)")
    if not typer.confirm("Place these orders on the live account?", default=False):
        console.print("aborted: no orders placed")
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add the ``rebalance`` command."""

    @app.command("rebalance")
    @handle_errors
    def rebalance(
        strategy_file: Path = typer.Argument(..., metavar="STRATEGY", help="Strategy YAML file."),
        exchange: str = typer.Option("binance", "--exchange", help="ccxt exchange id."),
        live: bool = typer.Option(False, "--live/--paper", help="Trade the real account (default: paper)."),
        yes: bool = typer.Option(False, "--yes", help="Do not ask before placing live orders."),
        config: Optional[Path] = typer.Option(None, "--config", help="Exchange YAML (urls, sandbox, key_file, options)."),
        order_type: str = typer.Option("market", help="market or limit."),
        limit_price: str = typer.Option("mid", help="Limit orders at the mid or the near touch (mid|touch)."),
        limit_timeout: float = typer.Option(10.0, help="Seconds before an unfilled limit order is cancelled."),
        on_timeout: str = typer.Option("market", help="After a limit timeout: market or replace."),
        drift_threshold: float = typer.Option(0.001, help="Skip trades whose weight drift is below this (fraction)."),
        fee_reserve: float = typer.Option(0.001, help="Cash kept back for fees and price moves (fraction)."),
        run_id: Optional[str] = typer.Option(None, help="Run id for client order ids (default: strategy, date, plan hash)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and stop."),
    ) -> None:
        """Rebalance an exchange account to the strategy's target now (paper unless --live)."""
        from indexer.data import load_reference
        from indexer.exceptions import ConfigError
        from indexer.execution import (CcxtBroker, ExecutionOptions, PaperBroker, execute, load_settings, plan_orders,
                                       symbols_to_price)
        from indexer.strategy import Strategy

        if order_type not in ("market", "limit") or limit_price not in ("mid", "touch") or on_timeout not in ("market", "replace"):
            raise ConfigError("--order-type market|limit, --limit-price mid|touch, --on-timeout market|replace")
        strategy = Strategy.from_yaml(strategy_file)
        settings = load_settings(config, exchange=exchange)
        with console.status("loading data"):
            data = load_reference()
        as_of = data.close.index[-1]
        if live:
            broker = CcxtBroker.from_settings(settings)
        else:
            broker = PaperBroker.from_market_data(data, balances=settings.paper_balances, quote=settings.quote,
                                                  fee_rate=settings.fee_rate, as_of=as_of)
            if broker.unpriced:
                console.print(f"[dim]paper: no market for {len(broker.unpriced)} assets without a recent close "
                              f"({', '.join(sorted(broker.unpriced))})[/]")
        mode = f"LIVE on {exchange}" if live else "paper"
        with console.status(f"reading the {mode} account"):
            markets = broker.markets()
            holdings = broker.fetch_holdings()
        held = [c for c in holdings.balances if c != settings.quote]
        with console.status(f"asking {strategy.name} for the target as of {as_of:%Y-%m-%d}"):
            held_symbols = symbols_to_price(held, markets, settings.quote, skip_unroutable=True)
            prices = broker.fetch_prices(held_symbols) if held_symbols else {}
            previous = _current_weights(holdings, prices, markets, settings.quote)
            target = strategy.target(data, as_of, previous=previous)
            wanted = symbols_to_price(target.invested[target.invested > 0].index, markets, settings.quote)
            prices = broker.fetch_prices(sorted(set(held_symbols) | set(wanted)))
            plan = plan_orders(target, holdings, prices, markets, quote=settings.quote,
                               drift_threshold=drift_threshold, fee_reserve=fee_reserve,
                               amount_to_precision=broker.amount_to_precision)
        console.print(f"[bold]{strategy.name}[/] -> {mode} ({settings.exchange}), target as of {as_of:%Y-%m-%d}")
        console.print(plan)
        if dry_run or not plan.orders:
            console.print("no orders placed" + (" (dry run)" if dry_run else ": nothing to trade"))
            return
        _confirm(live, yes)
        rid = run_id or f"{strategy.name}-{as_of:%Y%m%d}-{plan.digest}"
        opts = ExecutionOptions(order_type=order_type, limit_price=limit_price, limit_timeout_s=limit_timeout,  # type: ignore[arg-type]
                                on_timeout=on_timeout)  # type: ignore[arg-type]
        with console.status("executing") as status:
            report = execute(plan, broker, rid, options=opts, compliance=_compliance(strategy, data),
                             progress=lambda msg: status.update(msg))
        console.print(report)
        if not report.ok:
            raise typer.Exit(code=1)


def _current_weights(holdings: Any, prices: Any, markets: Any, quote: str) -> Any:
    """Current weights (incl. CASH) of ``holdings``, for the strategy's ``previous``; None if empty."""
    import pandas as pd

    from indexer._typing import CASH
    from indexer.execution.planner import route

    values = {CASH: float(holdings.balances.get(quote, 0))}
    for c, q in holdings.balances.items():
        if c == quote:
            continue
        try:
            sym, x = route(c, markets, quote)
        except Exception:  # noqa: BLE001 - an unroutable holding has no value here
            continue
        px = float(prices.get(sym, 0)) * (float(prices.get(f"{x}/{quote}", 0)) if x else 1.0)
        values[c] = float(q) * px
    total = sum(values.values())
    return pd.Series(values) / total if total > 0 else None
