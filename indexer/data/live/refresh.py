"""``refresh_inputs``: bring every input a strategy needs up to date in the live cache, incrementally.

One call per bot run (and per ``indexer data update STRATEGY``)::

    report = refresh_inputs(needs, root, settings, now=now, exchange="binance")
    report.ok                # every needed source answered
    report.sources["onchain"]   # {"last_bar": "2026-11-30", "new_rows": 2, "fetched_at": ..., "error": None, ...}

Sources run in order (prices first, then caps, Fear & Greed, on-chain, news).
A source that fails (down past its retries, malformed payload, or any unexpected
error of a client library) writes nothing,
keeps its previous cursor and records the error; the others go on.  Whether
the run may then decide is the freshness check's call
(:func:`indexer.strategy.freshness.check_freshness`), not this function's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from indexer.data.live.live_cache import SourceUpdate, read_state, write_state
from indexer.data.live.needs import InputNeeds
from indexer.data.live.settings import LiveSettings
from indexer.exceptions import DataError

__all__ = ["RefreshReport", "refresh_inputs"]


@dataclass
class RefreshReport:
    """What :func:`refresh_inputs` did, per source: the state entry (cursor, provenance) or the error."""

    root: Path
    fetched_at: pd.Timestamp
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    assets: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No source reported an error."""
        return all(not s.get("error") for s in self.sources.values())

    @property
    def errors(self) -> dict[str, str]:
        """Error message per failed source."""
        return {k: v["error"] for k, v in self.sources.items() if v.get("error")}

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly summary (per source: last bar, new rows, requests, error, URL)."""
        return {"root": str(self.root), "fetched_at": self.fetched_at.isoformat(), "assets": self.assets,
                "sources": {k: {x: v.get(x) for x in ("last_bar", "new_rows", "requests", "error", "url")}
                            for k, v in self.sources.items()}}

    def summary(self) -> str:
        """One line per source: ``ohlcv: +2 rows, last 2026-11-30`` or ``news: FAILED ...``."""
        lines = []
        for k, v in self.sources.items():
            if v.get("error"):
                lines.append(f"{k}: FAILED ({v['error']}); cache kept at {v.get('last_bar') or 'nothing'}")
            else:
                lines.append(f"{k}: +{v.get('new_rows', 0)} rows, last {v.get('last_bar') or '-'}")
        return "; ".join(lines)


def _write_meta(root: Path, exchange: str, symbols: list[str], now: pd.Timestamp) -> None:
    meta_path = root / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    listed = list(dict.fromkeys([*meta.get("symbols", []), *symbols]))
    meta.update({"exchange": exchange, "symbols": listed, "fetched_at": now.isoformat(), "coingecko": True,
                 "live": True})
    tmp = root / ".meta.json.tmp"
    tmp.write_text(json.dumps(meta, indent=1))
    tmp.replace(meta_path)


def _reference_news() -> pd.DataFrame | None:
    """Labelled reference news (the text model's training history), when the reference data is available."""
    from indexer.data.reference_data import load_reference

    try:
        texts = load_reference().sentiment.texts
    except DataError:
        return None
    return None if texts is None else texts[texts["label"].notna()]


def refresh_inputs(
    needs: InputNeeds,
    root: str | Path,
    settings: LiveSettings | None = None,
    *,
    now: pd.Timestamp | None = None,
    exchange: str = "binance",
    ccxt_exchange: Any = None,
    progress: bool = False,
    sleep: Callable[[float], None] | None = None,
) -> RefreshReport:
    """Refresh the sources ``needs`` calls for into the live cache ``root`` (see module docstring).

    Parameters
    ----------
    needs
        Inputs and assets (``indexer.strategy.freshness.input_needs(strategy)``).
    root
        The live cache directory (:func:`indexer.data.live.live_cache.live_root`).
    settings
        Source URLs, feeds, rate limits (default :class:`LiveSettings`).
    now
        The clock (UTC); bars dated from ``now``'s day on are not closed and never kept.
    exchange
        ccxt id of the OHLCV source when ``settings.exchange`` is not set.
    ccxt_exchange
        A ready ccxt exchange (tests); default built from ``settings.ohlcv_urls``.
    """
    import time as _time

    from indexer.data.live.caps import refresh_market_caps
    from indexer.data.live.coinmetrics import refresh_onchain
    from indexer.data.live.fear_greed import refresh_fear_greed
    from indexer.data.live.http import SourceClient
    from indexer.data.live.news import refresh_news
    from indexer.data.live.ohlcv import refresh_ohlcv

    s = settings or LiveSettings()
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
    since = pd.Timestamp(s.since, tz="UTC")
    ex_id = s.exchange or exchange
    assets = list(dict.fromkeys(needs.assets if needs.assets is not None else s.candidates))
    report = RefreshReport(root, now, assets=assets)
    pause = sleep or _time.sleep

    def client(name: str) -> SourceClient:
        return SourceClient(name, rate=s.rate(name), retries=s.retries, backoff=s.backoff_s, timeout=s.timeout_s,
                            sleep=pause)

    symbols = [f"{a}/{s.quote}" for a in assets if a != s.quote]
    jobs: dict[str, Callable[[], SourceUpdate]] = {
        "ohlcv": lambda: refresh_ohlcv(ex_id, symbols, root, since=since, now=now, exchange=ccxt_exchange,
                                       api_urls=s.ohlcv_urls or None, retries=s.retries, backoff=s.backoff_s,
                                       timeout_ms=int(s.timeout_s * 1000)),
        "market_cap": lambda: refresh_market_caps(assets, root, since=since, now=now, client=client("market_cap"),
                                                  base_url=s.coingecko_url, max_history_days=s.coingecko_max_history_days),
        "fear_greed": lambda: refresh_fear_greed(root, since=since, now=now, client=client("fear_greed"),
                                                 base_url=s.fear_greed_url),
        "onchain": lambda: refresh_onchain(assets, needs.metrics, root, since=since, now=now, client=client("onchain"),
                                           base_url=s.coinmetrics_url),
        "news": lambda: refresh_news(s.feeds, root, now=now, client=client("news"),
                                     seed=_reference_news() if s.seed_news and not (root / "news.parquet").exists() else None),
    }
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    order = needs.sources()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), disable=not progress) as bar:
        task = bar.add_task("refreshing", total=len(order))
        for name in order:
            bar.update(task, description=f"refreshing {name}")
            try:
                upd = jobs[name]()
                entry = upd.commit(root, now)
                if name == "ohlcv":
                    _write_meta(root, ex_id, [k for k, v in upd.details.items() if "skipped" not in v], now)
            except Exception as exc:  # noqa: BLE001 - a source failing in any way writes nothing; the run goes on
                why = str(exc) if isinstance(exc, DataError) else f"{name}: unexpected {type(exc).__name__}: {exc}"
                prev = read_state(root).get(name, {})
                entry = {**prev, "source": name, "error": why, "failed_at": now.isoformat()}
                write_state(root, name, entry)
            report.sources[name] = entry
            bar.advance(task)
    return report
