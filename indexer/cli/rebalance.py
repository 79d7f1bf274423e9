"""``indexer rebalance STRATEGY --exchange ID [--paper | --live] [--yes]``."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import typer

from indexer.cli.common import console, handle_errors

__all__ = ["register"]


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
        config: Path | None = typer.Option(None, "--config", help="Settings YAML: exchange (urls, sandbox, key_file, "
                                              "options, untradeable, retries), execution, risk, paper sections."),
        order_type: str | None = typer.Option(None, help="market or limit (default market)."),
        limit_price: str | None = typer.Option(None, help="Limit orders at the mid or the near touch (mid|touch)."),
        limit_timeout: float | None = typer.Option(None, help="Seconds before an unfilled limit order is cancelled."),
        on_timeout: str | None = typer.Option(None, help="After a limit timeout: market or replace."),
        drift_threshold: float | None = typer.Option(None, help="Skip trades whose weight drift is below this "
                                                        "(fraction; default 0.001)."),
        cash_buffer: float | None = typer.Option(None, "--cash-buffer", "--fee-reserve",
                                                    help="Cash kept back for fees and price moves (fraction of "
                                                         "value; default 0.003)."),
        untradeable: str | None = typer.Option(None, help="Target assets the exchange cannot trade: "
                                                  "redistribute (default) | cash | fail."),
        max_retries: int | None = typer.Option(None, help="Retries of a retryable exchange error (default 4)."),
        max_data_age_hours: float | None = typer.Option(None, help="Refuse when the latest bar closed longer ago "
                                                           "than this (hours; default: not checked)."),
        run_id: str | None = typer.Option(None, help="Run id for client order ids (default: strategy, date, plan hash)."),
        redecide: bool = typer.Option(False, "--redecide", help="Ask the strategy again although a decision for this "
                                      "bar was already traded on this account (default: reuse it, one decision per bar)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and stop."),
    ) -> None:
        """Rebalance an exchange account to the strategy's target now (paper unless --live).

        Same steps as `indexer bot once` (indexer.execution.rebalance_once): value the account from its
        free balances, ask the strategy, check the guards and compliance, plan, execute, report.
        """
        from indexer.data import load_reference
        from indexer.execution import CcxtBroker, Guards, PaperBroker, load_settings, rebalance_once
        from indexer.strategy import Strategy

        settings = load_settings(config, exchange=exchange, overrides={
            "execution": {"order_type": order_type, "limit_price": limit_price, "limit_timeout_s": limit_timeout,
                          "on_timeout": on_timeout, "drift_threshold": drift_threshold, "cash_buffer": cash_buffer},
            "exchange": {"untradeable": untradeable, "max_retries": max_retries}})
        strategy = Strategy.from_yaml(strategy_file)
        with console.status("loading data"):
            data = load_reference()
        as_of = data.close.index[-1]
        broker: CcxtBroker | PaperBroker
        if live:
            broker = CcxtBroker.from_settings(settings.exchange)
        else:
            p = settings.paper
            paper = PaperBroker.from_market_data(
                data, balances=p.balances, quote=settings.quote, fee_rate=p.fee_rate, slippage_bps=p.slippage_bps,
                as_of=as_of, max_age=None if p.max_price_age_hours is None else f"{p.max_price_age_hours}h")
            if paper.unpriced:
                console.print(f"[dim]paper: no market for {len(paper.unpriced)} assets without a recent close "
                              f"({', '.join(sorted(paper.unpriced))})[/]")
            broker = paper
        from indexer.execution.market_lists import load_market_list, save_market_list

        today = dt.datetime.now(dt.UTC)
        if live and not settings.exchange.loopback():  # the dated market list of universe.tradable_on
            with console.status(f"reading the {exchange} markets"):
                save_market_list(broker.markets(), settings.exchange.id, settings.quote, today)
        else:
            load_market_list(settings.exchange.id, settings.quote)
        mode = f"LIVE on {exchange}" if live else "paper"
        decisions = None
        if live:  # one decision per bar and account: a rerun trades to the same target (docs/execution.md)
            from indexer.config import data_dir
            from indexer.execution.ccxt_broker import CcxtBroker
            from indexer.execution.decisions import DecisionLog

            assert isinstance(broker, CcxtBroker)  # --live always trades through ccxt
            decisions = DecisionLog(data_dir() / "decisions", broker.account_key)
            if redecide:  # before reading it: --redecide also replaces a record that cannot be read
                decisions.forget(strategy, as_of)
            elif (prior := decisions.load(strategy, as_of)) is not None:
                console.print(f"[dim]{prior.note} (--redecide asks the strategy again)[/]")
        hooks = _cli_hooks(live=live, yes=yes, dry_run=dry_run)
        console.print(f"[bold]{strategy.name}[/] -> {mode} ({settings.exchange.id}), target as of {as_of:%Y-%m-%d}")
        with console.status(f"reading the {mode} account, asking {strategy.name}, planning") as status:
            hooks.status = status
            result = rebalance_once(
                strategy, data, broker, settings, as_of=as_of, hooks=hooks,
                guards=Guards.from_risk(settings.risk, max_data_age_hours),
                now=dt.datetime.now(dt.UTC) if max_data_age_hours else None,
                run_id=run_id or (lambda plan: f"{strategy.name}-{as_of:%Y%m%d}-{plan.digest}"), decisions=decisions)
        for o in result.cancelled:
            console.print(f"[yellow]cancelled[/] our order {o.client_order_id} ({o.side} {o.amount} {o.symbol}) "
                          "left open by an earlier run")
        if result.status != "executed":
            console.print("no orders placed" + (": nothing to trade" if not result.plan.orders
                                                else " (dry run)" if dry_run else ""))
            return
        assert result.report is not None
        console.print(result.report)
        if not result.report.ok:
            raise typer.Exit(code=1)


def _cli_hooks(*, live: bool, yes: bool, dry_run: bool) -> Any:
    """Build the command's :class:`~indexer.execution.RebalanceHooks`.

    They print the plan, then ask (live) or stop (dry run, nothing to trade) before any order,
    and show progress on the status line.
    """
    from indexer.execution import RebalanceHooks

    class CliHooks(RebalanceHooks):
        status: Any = None

        def on_plan(self, plan: Any, run_id: str) -> bool:
            if self.status is not None:
                self.status.stop()
            console.print(plan)
            if dry_run or not plan.orders:
                return False
            _confirm(live, yes)
            if self.status is not None:
                self.status.start()
            return True

        def progress(self, message: str) -> None:
            if self.status is not None:
                self.status.update(message)

    return CliHooks()
