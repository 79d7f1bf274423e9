"""``indexer exchange-sim``: a loopback Binance-like spot exchange for rehearsals."""

from __future__ import annotations

from pathlib import Path

import typer

from indexer.cli.common import console, handle_errors

__all__ = ["register"]


def _parse_balances(items: list[str]) -> dict[str, str]:
    from indexer.exceptions import ConfigError

    out = {}
    for item in items:
        asset, sep, amount = item.partition("=")
        if not sep or not asset:
            raise ConfigError(f"--balance expects ASSET=AMOUNT, got {item!r}")
        try:
            q = float(amount)
        except ValueError:
            q = float("nan")
        if not 0 <= q <= 1e12:  # also false for NaN
            raise ConfigError(f"--balance {item!r}: {asset.strip().upper()} amount must be a number >= 0 and <= 1e12 units")
        out[asset.strip().upper()] = amount.strip()
    return out


def _load_prices(path: Path) -> dict[str, float]:
    from indexer.exceptions import ConfigError
    from indexer.gate import load_yaml

    raw = load_yaml(path, "price file")  # JSON is a YAML subset
    if not isinstance(raw, dict):
        raise ConfigError(f"price file {path}: expected a mapping ASSET: price (USD), got {type(raw).__name__}")
    out = {}
    for k, v in raw.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < float(v) < 1e15:
            raise ConfigError(f"price file {path}: {k}: price {v!r} is not a positive number of USD")
        out[str(k).upper()] = float(v)
    return out


def register(app: typer.Typer) -> None:
    """Add the ``exchange-sim`` command."""

    @app.command("exchange-sim")
    @handle_errors
    def exchange_sim(
        port: int = typer.Option(8765, help="TCP port on 127.0.0.1."),
        faults: str | None = typer.Option(
            None, help="Faults to inject, kind[:target[:times[:value]]] comma separated, "
            "kinds: latency, timeout, 429, 5xx, 1001, partial, reject_balance, reject_filter."),
        seed: int = typer.Option(0, help="Seed of the synthetic order book."),
        balance: list[str] = typer.Option(["USDT=10000"], help="Starting balance ASSET=AMOUNT (repeatable)."),
        prices: Path | None = typer.Option(None, help="JSON/YAML {ASSET: USD price}; default: reference data last closes."),
        fee: float = typer.Option(0.001, help="Fee rate (fraction) charged in the received currency."),
        depth_usd: float = typer.Option(250_000.0, help="Book depth per price level (USD)."),
        api_key: str | None = typer.Option(None, envvar="INDEXER_SIM_API_KEY", help="Account API key (random if unset)."),
        api_secret: str | None = typer.Option(None, envvar="INDEXER_SIM_API_SECRET", help="Account secret (random if unset)."),
        missing: list[str] = typer.Option([], help="Asset without any market (like CRO on Binance; repeatable)."),
        halted: list[str] = typer.Option([], help="Market listed but halted, e.g. LINK/USDT (repeatable)."),
        clock_skew_ms: int = typer.Option(0, help="Exchange clock minus client clock (ms); -3000 gives -1021 errors."),
        drift_bps: float = typer.Option(0.0, help="Move every price by this many bps after each accepted order."),
        write_config: Path | None = typer.Option(
            Path("sim.yaml"), help="Write a rebalance --config YAML (and a 0600 key file next to it) for this simulator."),
    ) -> None:
        """Serve a Binance-like spot REST API on 127.0.0.1 (real filters, signed requests, faults)."""
        from indexer.execution.market_info import last_prices
        from indexer.sim import SimServer, parse_faults

        rules, balances = parse_faults(faults), _parse_balances(balance)
        closes = None
        if prices:
            px = _load_prices(prices)
        else:
            from indexer.data import load_reference

            data = load_reference()
            px, closes = last_prices(data), data.close
        sim = SimServer(px, balances, port=port, faults=rules, seed=seed, closes=closes,
                        fee_rate=fee, depth_usd=depth_usd, api_key=api_key, api_secret=api_secret,
                        missing=[m.upper() for m in missing], halted=[h.upper() for h in halted],
                        clock_skew_ms=clock_skew_ms,
                        drift_bps_per_order=drift_bps)
        console.print(f"exchange simulator on [bold]{sim.url}[/] with {len(sim.markets)} markets, "
                      f"balances {balances}")
        if write_config:
            path = sim.write_config(write_config)
            console.print(f"rebalance config written to [bold]{path}[/] (keys in {path.with_suffix('.keys.json')}, mode 0600)")
        if faults:
            console.print(f"faults: {faults}")
        console.print("Ctrl-C to stop.")
        sim.serve_forever()
