"""``indexer data``: inspect, import and fetch the market data cache."""

from __future__ import annotations

from pathlib import Path

import typer

from indexer.cli.common import console, handle_errors

__all__ = ["register", "data_app"]

data_app = typer.Typer(
    name="data",
    help="Market data: show what is cached (info), import ../shared/data (import), download from an exchange (fetch), "
    "refresh a strategy's live inputs (update).",
    no_args_is_help=True,
)


def _parse_urls(items: list[str]) -> dict[str, str]:
    from indexer.exceptions import ConfigError

    out = {}
    for item in items:
        key, sep, url = item.partition("=")
        if not sep or not key or not url:
            raise ConfigError(f"--api-url {item!r}: expected KEY=URL, e.g. public=http://127.0.0.1:8080/api/v3")
        out[key] = url
    return out


def _human(x: float) -> str:
    """1234567 -> '1.2M' (USD amounts in a narrow column)."""
    if x != x:
        return "-"
    for div, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.1f}{unit}"
    return f"{x:.0f}"


def _plot_coverage(data, path: Path) -> None:  # noqa: ANN001 - MarketData, imported lazily
    """Assets x days: dark where a close exists, light where the market cap is missing too."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import numpy as np

    close = data.close
    has_close = close.notna().to_numpy().T.astype(float)
    if data.market_cap is not None:
        has_close = has_close + (close.notna() & data.market_cap.notna()).to_numpy().T
    fig, ax = plt.subplots(figsize=(11, 0.22 * len(close.columns) + 1.5))
    x0, x1 = mdates.date2num(close.index[0].to_pydatetime()), mdates.date2num(close.index[-1].to_pydatetime())
    ax.imshow(has_close, aspect="auto", interpolation="nearest", cmap="Blues", vmin=0, vmax=2,
              extent=(x0, x1, len(close.columns) - 0.5, -0.5))
    ax.set_yticks(np.arange(len(close.columns)), close.columns, fontsize=7)
    ax.xaxis_date()
    ax.set_title("Coverage: dark = close and market cap, mid = close only, white = no data")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _print_coverage(data, per_field: bool) -> None:  # noqa: ANN001 - MarketData, imported lazily
    """Coverage table: per source and asset, or per source, field and asset (first/last day, share of days)."""
    from rich import box
    from rich.table import Table

    from indexer.data.coverage import coverage, coverage_by_source

    cov = coverage(data)
    if data.membership:
        for name, table in data.membership.items():
            console.print(
                f"[bold]membership[/] {name}: {table['snapshot'].nunique()} snapshots "
                f"{table['snapshot'].min().date()} .. {table['snapshot'].max().date()}, {table['asset'].nunique()} distinct assets"
            )
    rows = cov if per_field else coverage_by_source(cov)
    cols = ["source", "field", "asset", "first", "last", "share"] if per_field else ["source", "asset", "fields", "first", "last", "share"]
    table = Table(title="coverage (share = days present / days first..last)", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for c in cols:
        table.add_column(c, justify="right" if c == "share" else "left", overflow="fold")
    for r in rows.itertuples(index=False):
        d = r._asdict()
        table.add_row(*[f"{d[c]:.1%}" if c == "share" else str(d[c]) for c in cols])
    console.print(table)


@data_app.command("info")
@handle_errors
def info(
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Cache root (default: $INDEXER_DATA_DIR or the user cache)."),
    full_history: bool = typer.Option(False, "--full-history", help="Show every cached row (from 2014), not only 2017+."),
    plot: Path | None = typer.Option(None, "--plot", help="Also write a coverage chart (assets x days) to this PNG/SVG file."),
    per_field: bool = typer.Option(False, "--fields", help="Coverage with one row per source, field and asset (default: per source and asset)."),
) -> None:
    """Show the cached data: assets, date range, fields, coverage per source/asset/field, licences and the cache path."""
    from rich import box
    from rich.table import Table

    from indexer.data import load_reference
    from indexer.data.reference_data import reference_cache_dir

    data = load_reference(data_dir=data_dir, full_history=full_history)
    prov = data.provenance
    console.print(f"[bold]cache[/]   {reference_cache_dir(data_dir) if prov.get('format') != 'fetched' else prov['source']}")
    console.print(f"[bold]source[/]  {prov.get('source')}  ({prov.get('format', 'reference import')}, {prov.get('imported_at') or prov.get('fetched_at')})")
    console.print(f"[bold]range[/]   {data.start.date()} .. {data.end.date()}  ({len(data.index)} daily bars, UTC)")
    fields = ["close"] + [n for n in ("volume", "market_cap") if getattr(data, n) is not None]
    console.print(f"[bold]fields[/]  {', '.join(fields)}; metrics: {', '.join(data.metrics) or '-'}")
    sent = data.sentiment
    if sent.index is not None or sent.texts is not None:
        n_idx = 0 if sent.index is None else sent.index.notna().sum()
        n_tx = 0 if sent.texts is None else len(sent.texts)
        console.print(f"[bold]sentiment[/] Fear & Greed days: {n_idx}; news texts: {n_tx}")
    table = Table(title=f"{len(data.symbols)} assets", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for col in ("asset", "kind", "first", "last", "bars", "med. vol $", "mcap $", "source"):
        table.add_column(
            col, justify="right" if col in ("bars", "med. vol $", "mcap $") else "left", no_wrap=col not in ("kind", "source")
        )
    assets_prov = prov.get("assets", {})
    for a in data.symbols:
        c = data.close[a].dropna()
        vol = data.volume[a].median() if data.volume is not None else float("nan")
        mc = data.market_cap[a].dropna() if data.market_cap is not None else None
        cp = (assets_prov.get(a) or {}).get("close") or {}
        src = "+".join(cp.get("days", {})) if cp else prov.get("exchange", "")
        table.add_row(
            a,
            data.assets.kind(a),
            str(c.index[0].date()) if len(c) else "-",
            str(c.index[-1].date()) if len(c) else "-",
            str(len(c)),
            _human(vol),
            _human(mc.iloc[-1]) if mc is not None and len(mc) else "-",
            str(src),
        )
    console.print(table)
    if plot is not None:
        _plot_coverage(data, plot)
        console.print(f"[green]coverage chart[/] written to {plot}")
    _print_coverage(data, per_field)
    for line in prov.get("attribution") or []:
        console.print(f"[bold]attribution[/] {line}")
    dropped = prov.get("dropped") or {}
    if dropped:
        console.print(f"[dim]dropped {len(dropped)} assets with short coverage (see provenance.json), e.g. "
                      f"{', '.join(list(dropped)[:8])}[/]")


@data_app.command("import")
@handle_errors
def import_(
    src: Path = typer.Argument(..., help="Directory in the layout of ../shared/data (see its SOURCES.md).", exists=True, file_okay=False),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Cache root (default: $INDEXER_DATA_DIR or the user cache)."),
) -> None:
    """Import the public reference files in SRC into the local parquet cache."""
    import time

    from indexer.data import import_reference
    from indexer.data.reference_data import reference_cache_dir

    t0 = time.perf_counter()
    with console.status(f"importing {src} ..."):
        data = import_reference(src, data_dir)
    took = time.perf_counter() - t0
    console.print(
        f"[green]imported[/] {len(data.symbols)} assets, {data.start.date()} .. {data.end.date()} "
        f"({len(data.index)} daily bars, {len(data.metrics)} metrics) into {reference_cache_dir(data_dir)} in {took:.1f} s"
    )
    if data.provenance.get("dropped"):
        console.print(f"[dim]dropped {len(data.provenance['dropped'])} assets with fewer daily closes than required[/]")
    for asset, note in (data.provenance.get("repairs") or {}).items():
        console.print(f"[yellow]repaired[/] {asset}: {note} (recorded in provenance.json)", highlight=False)
    incomplete = data.provenance.get("incomplete_bars_dropped") or {}
    if incomplete:
        console.print(f"[dim]bars on/after the capture day dropped as incomplete for {len(incomplete)} sources/assets: "
                      f"{', '.join(incomplete)}[/]", highlight=False)


@data_app.command("fetch")
@handle_errors
def fetch(
    exchange: str = typer.Option("binance", "--exchange", "-e", help="ccxt exchange id (public endpoints only, no keys)."),
    symbols: str = typer.Option(
        "BTC/USDT,ETH/USDT", "--symbols", "-s", help="Comma-separated pairs; bare bases get --quote (BTC,ETH -> BTC/USDT,...)."
    ),
    since: str = typer.Option("2020-01-01", "--since", help="First UTC day to download (later runs resume from the cache)."),
    quote: str = typer.Option("USDT", "--quote", help="Quote currency for bare bases in --symbols."),
    coingecko: bool = typer.Option(True, "--coingecko/--no-coingecko", help="Also download daily market caps from CoinGecko."),
    coingecko_url: str | None = typer.Option(None, "--coingecko-url", help="CoinGecko API base URL (default $INDEXER_COINGECKO_URL or the public API)."),
    api_url: list[str] = typer.Option([], "--api-url", help="Override an exchange API URL, KEY=URL (e.g. public=http://127.0.0.1:8080/api/v3)."),
    max_age: int | None = typer.Option(None, "--max-age", help="Fail (StaleDataError) if the newest bar is older than this many days."),
    retries: int = typer.Option(3, "--retries", help="Retries of network errors (exponential backoff)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Cache root (default: $INDEXER_DATA_DIR or the user cache)."),
) -> None:
    """Download daily OHLCV via ccxt (paged, resumable) and CoinGecko market caps into the cache."""
    from rich.table import Table

    from indexer.data.fetched_data import fetch_to_cache
    from indexer.data.sources.ccxt_ohlcv import parse_symbols

    pairs = parse_symbols(symbols, quote)
    report = fetch_to_cache(
        exchange,
        pairs,
        since,
        data_dir=data_dir,
        coingecko=coingecko,
        coingecko_url=coingecko_url,
        api_urls=_parse_urls(api_url) or None,
        max_age_days=max_age,
        retries=retries,
    )
    table = Table(title=f"{exchange} -> {report.directory}")
    for col in ("symbol", "new bars", "first", "last", "market caps"):
        table.add_column(col)
    for sym, row in report.symbols.items():
        mc = report.market_caps.get(sym.split("/")[0], {})
        mc_txt = mc.get("skipped") or (f"+{mc['new_days']} to {mc['last']}" if mc else "-")
        if "skipped" in row:
            table.add_row(sym, "-", "-", "-", row["skipped"])
        else:
            table.add_row(sym, str(row["new_bars"]), row["first"], row["last"], mc_txt)
    console.print(table)


@data_app.command("update")
@handle_errors
def update(
    strategy: Path = typer.Argument(..., help="Strategy YAML whose inputs (signals, metrics, universe fields) are refreshed."),
    exchange: str = typer.Option("binance", "--exchange", "-e", help="ccxt exchange id of the daily bars (public endpoints)."),
    settings: Path | None = typer.Option(None, "--settings", help="YAML of live settings (URLs, feeds, candidates, rates; see docs/bot.md)."),
    api_url: list[str] = typer.Option([], "--api-url", help="Override an exchange API URL, KEY=URL (e.g. public=http://127.0.0.1:8080/api/v3)."),
    now: str | None = typer.Option(None, "--now", help="Pretend the clock reads this UTC time (ISO 8601)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Cache root (default: $INDEXER_DATA_DIR or the user cache)."),
) -> None:
    """Refresh only what STRATEGY needs (prices, caps, Fear & Greed, on-chain, news) into the live cache, then check every input's age.

    Exit code 0 when every source answered and every input is fresh (or has a declared fallback), 1 otherwise.
    """
    import pandas as pd

    from indexer.cli.live_inputs_view import load_settings, render_freshness, render_refresh
    from indexer.data.live import live_root
    from indexer.data.market import to_utc
    from indexer.strategy import Strategy
    from indexer.strategy.live import check_freshness, load_live, refresh_inputs

    strat = Strategy.from_yaml(strategy)
    live = load_settings(settings, ohlcv_urls=_parse_urls(api_url) or None)
    clock = to_utc(now) if now else pd.Timestamp.now(tz="UTC")
    root = live_root(live.exchange or exchange, data_dir)
    report = refresh_inputs(strat, root, live, now=clock, exchange=exchange, progress=True)
    render_refresh(report)
    fresh = check_freshness(strat, load_live(root), clock)
    render_freshness(fresh.to_dict(), title=f"{strat.name}: inputs at {clock:%Y-%m-%d %H:%M} UTC")
    if not report.ok or not fresh.ok:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add the ``data`` sub-command group to the main app."""
    app.add_typer(data_app, name="data")
