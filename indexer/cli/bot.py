"""``indexer bot``: run, once, status, pause, resume (the scheduled rebalancing bot)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from indexer.cli.common import console, handle_errors

__all__ = ["register"]

CONFIG = typer.Argument(..., exists=False, help="Bot config YAML (see examples/bot/).")
LIVE = typer.Option(False, "--live", help="Allow real-money trading (also needs mode: live in the config).")
NOW = typer.Option(None, help="Pretend the clock reads this UTC time (rehearsals on historical data), ISO 8601.")
OFFLINE_ONCE = typer.Option(False, "--offline", help="REHEARSAL: decide on the offline reference data (historical) "
                            "instead of refreshing live data, as account <account>-rehearsal, clock = the day after "
                            "the data's last bar unless --now.")


def _now(now: str | None) -> Any:
    if not now:
        return None
    import pandas as pd

    from indexer.exceptions import ConfigError

    try:
        ts = pd.Timestamp(now)
    except ValueError:
        raise ConfigError(f"--now: not an ISO 8601 time: {now!r}") from None
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.to_pydatetime()


def _fmt_weights(current: dict[str, float], target: dict[str, float]) -> Any:
    from rich.table import Table

    t = Table(title="Weights (fractions of value)")
    for col in ("asset", "current", "target", "diff"):
        t.add_column(col, justify="left" if col == "asset" else "right")
    for a in sorted(set(current) | set(target), key=lambda a: (a == "CASH", -target.get(a, 0.0), a)):
        c, g = current.get(a, 0.0), target.get(a, 0.0)
        if abs(c) < 1e-9 and abs(g) < 1e-9:
            continue
        t.add_row(a, f"{c:.2%}", f"{g:.2%}", f"{c - g:+.2%}")
    return t


def _render_status(st: dict[str, Any]) -> None:
    from rich.table import Table

    state = "[bold red]PAUSED[/] " + (st["pause_reason"] or "") if st["paused"] else "[green]active[/]"
    console.print(f"[bold]{st['account']}[/] ({st['mode']}, {st['database']} schema {st['schema_revision']}): {state}")
    runs = Table(title="Recent runs")
    for c in ("id", "bar", "status", "step", "orders", "updated (UTC)", "error"):
        runs.add_column(c)
    colour = {"done": "green", "failed": "red", "blocked": "yellow", "running": "cyan"}
    for r in st["runs"]:
        runs.add_row(str(r["id"]), str(r["as_of"].date()), f"[{colour.get(r['status'], 'white')}]{r['status']}[/]",
                     r["step"], str(r["orders"]), r["updated_at"].strftime("%Y-%m-%d %H:%M:%S"), (r["error"] or "")[:80])
    console.print(runs)
    console.print(_fmt_weights(st["current_weights"], st["target_weights"]))
    if st.get("value") is not None:
        line = f"value {st['value']:,.2f} (from {st['current_source']})"
        if st.get("pnl") is not None:
            line += (f"; P&L since {st['inception']:%Y-%m-%d %H:%M} UTC: {st['pnl']:+,.2f} "
                     f"({st['pnl_fraction']:+.2%}) from {st['inception_value']:,.2f}")
        console.print(line)
    if st.get("exchange_error"):
        console.print(f"[yellow]exchange not reachable:[/] {st['exchange_error']}")
    orders = st["open_orders"] + [{"client_order_id": o["clientOrderId"], "exchange_order_id": o["id"],
                                   "symbol": o["symbol"], "side": o["side"], "amount": o["amount"],
                                   "status": f"exchange {o['status']}"} for o in st.get("exchange_open_orders", [])]
    if orders:
        t = Table(title="Open orders")
        for c in ("client id", "exchange id", "symbol", "side", "amount", "status"):
            t.add_column(c)
        for o in orders:
            t.add_row(*(str(o[k] or "") for k in ("client_order_id", "exchange_order_id", "symbol", "side",
                                                   "amount", "status")))
        console.print(t)
    else:
        console.print("no open orders")
    if st.get("inputs"):
        from indexer.cli.live_inputs_view import render_freshness

        if st["inputs"].get("error"):
            console.print(f"[yellow]inputs not readable:[/] {st['inputs']['error']}", highlight=False)
        else:
            render_freshness(st["inputs"], title="Inputs now (age and source)")
    ev = Table(title="Recent events")
    for c in ("at (UTC)", "kind", "message"):
        ev.add_column(c)
    for e in st["events"][:10]:
        ev.add_row(e["at"].strftime("%m-%d %H:%M:%S"), e["kind"], e["message"][:110])
    console.print(ev)


class _RefusalFilter:
    """Drop the bot's own log record of a refusal: the CLI prints it as its one red line (the DB keeps the event)."""

    def filter(self, record: Any) -> bool:
        return not (getattr(record, "event", None) == "error"
                    and str(record.getMessage()).startswith(("ConfigError", "DataError")))


@contextmanager
def _refusals_printed_once() -> Any:
    import logging

    log, flt = logging.getLogger("indexer.bot"), _RefusalFilter()
    log.addFilter(flt)
    try:
        yield
    finally:
        log.removeFilter(flt)


def _refusals(cfg: Any, live: bool) -> None:
    """Refuse, before the database is opened, live mode without --live and unusable API keys."""
    from indexer.exceptions import ConfigError

    if cfg.mode == "live" and not live:
        raise ConfigError("mode: live trades real money: pass --live as well (or use mode: paper / sandbox)")
    if live and cfg.mode != "live":
        raise ConfigError(f"--live given but the config says mode: {cfg.mode}; set mode: live to trade real money")
    if cfg.mode != "paper":
        from indexer.bot.accounts import load_keys

        if load_keys(cfg) is None:
            raise ConfigError(f"mode {cfg.mode} needs API keys: set exchange.credentials (env variable names or key_file)")


def register(app: typer.Typer) -> None:
    """Add the ``bot`` command group."""
    bot_app = typer.Typer(help="Scheduled rebalancing bot: run, once, status, pause, resume.", no_args_is_help=True)
    app.add_typer(bot_app, name="bot")

    @bot_app.command("once")
    @handle_errors
    def once(config: Path = CONFIG, live: bool = LIVE, now: str | None = NOW, offline: bool = OFFLINE_ONCE) -> None:
        """Rebalance once (after finishing any interrupted run); for cron, systemd timers, CronJobs.

        With ``data.source: live`` every input the strategy needs is refreshed first; ``--offline`` rehearses on
        the reference data instead.
        """
        from indexer.bot import load_bot_settings, run_once
        from indexer.cli.common import refuse

        cfg, clock = load_bot_settings(config), _now(now)
        if offline:
            from indexer.bot.live_inputs import REHEARSAL_LABEL, rehearsal, rehearsal_now

            if live:
                from indexer.exceptions import ConfigError

                raise ConfigError("--offline is a rehearsal on historical data: it cannot trade with --live")
            cfg = rehearsal(cfg)
            clock = clock or rehearsal_now(cfg)
            console.print(f"[bold yellow]{REHEARSAL_LABEL}[/]: account {cfg.account}, clock {clock:%Y-%m-%d %H:%M} UTC",
                          highlight=False)
        _refusals(cfg, live)
        with _refusals_printed_once():
            result = run_once(cfg, now=clock, live=live)
        if result.status == "failed" and result.message.startswith(("ConfigError", "DataError")):
            raise refuse(result.message)  # a refusal (config, keys, balances, input data): one line, exit 2
        colour = {"done": "green", "skipped": "cyan", "paused": "yellow"}.get(result.status, "red")
        label = "[bold yellow]REHEARSAL[/] " if offline else ""
        console.print(f"{label}[{colour}]{result.status}[/]: {result.message}", highlight=False, soft_wrap=True)
        if result.status in ("failed", "blocked", "kill_switch"):
            raise typer.Exit(code=1)

    @bot_app.command("run")
    @handle_errors
    def run(config: Path = CONFIG, live: bool = LIVE,
            run_now: bool = typer.Option(False, "--run-now", help="Also rebalance right away at start."),
            max_runs: int | None = typer.Option(None, help="Stop after this many runs (default: until SIGTERM).")) -> None:
        """Rebalance on the config's cron schedule (UTC) until SIGTERM / Ctrl-C."""
        from indexer.bot import load_bot_settings, open_bot
        from indexer.bot.scheduler import serve

        cfg = load_bot_settings(config)
        _refusals(cfg, live)
        with open_bot(cfg) as bot:
            serve(bot, live=live, run_now=run_now, max_runs=max_runs,
                  on_ready=lambda info: console.print(f"bot {cfg.account} scheduled {cfg.schedule.cron!r} UTC, "
                                                      f"next run {info['next_run']}", highlight=False))

    @bot_app.command("status")
    @handle_errors
    def status(config: Path = CONFIG, as_json: bool = typer.Option(False, "--json", help="Print JSON."),
               offline: bool = typer.Option(False, help="Do not query the exchange; use the last snapshot."),
               plot: Path | None = typer.Option(None, help="Also write a PNG: value over time, current vs target."),
               rehearsal: bool = typer.Option(False, "--rehearsal", help="The account of `bot once --offline` rehearsals.")) -> None:
        """Recent runs, current vs target weights, P&L since inception, open orders, each input's age and source."""
        from indexer.bot import load_bot_settings, open_bot
        from indexer.bot.status import collect_status

        cfg = load_bot_settings(config)
        if rehearsal:
            from indexer.bot.live_inputs import rehearsal as as_rehearsal

            cfg = as_rehearsal(cfg)
        with open_bot(cfg, logs=False) as bot:
            st = collect_status(bot, query_exchange=not offline)
            values = bot.store.snapshots(bot.cfg.account)["value"]
        if plot is not None:
            from indexer.bot.account_charts import plot_status

            console.print(f"plot written to {plot_status(st, values, plot)}")
        if as_json:
            print(json.dumps(st, default=str, indent=2))
        else:
            _render_status(st)

    @bot_app.command("pause")
    @handle_errors
    def pause(config: Path = CONFIG, reason: str = typer.Option("paused by operator", help="Why (kept in the log).")) -> None:
        """Stop trading this account (persisted) until `indexer bot resume`."""
        from indexer.bot import load_bot_settings, set_paused

        cfg = load_bot_settings(config)
        set_paused(cfg, True, reason)
        console.print(f"account {cfg.account} [yellow]paused[/]: {reason}")

    @bot_app.command("resume")
    @handle_errors
    def resume(config: Path = CONFIG) -> None:
        """Resume trading (also clears a kill switch)."""
        from indexer.bot import load_bot_settings, set_paused

        cfg = load_bot_settings(config)
        set_paused(cfg, False, None)
        console.print(f"account {cfg.account} [green]resumed[/]")
