"""Terminal output of the live inputs: what a refresh did and every input's age (``data update``, ``bot status``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from indexer.cli.common import console

__all__ = ["load_settings", "render_refresh", "render_freshness"]


def load_settings(path: Path | None, **overrides: Any) -> Any:
    """:class:`~indexer.data.live.LiveSettings` from a YAML file (optional) plus command-line overrides."""
    from pydantic import ValidationError

    from indexer.config import read_yaml_mapping
    from indexer.data.live import LiveSettings
    from indexer.exceptions import ConfigError

    raw: dict[str, Any] = dict(read_yaml_mapping(path, "live settings")) if path is not None else {}
    raw.update({k: v for k, v in overrides.items() if v not in (None, {}, [])})
    try:
        return LiveSettings(**raw)
    except ValidationError as exc:
        where = path or "command line"
        msg = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"live settings {where}: {msg}") from None


def render_refresh(report: Any) -> None:
    """One row per source: new rows, cursor (last bar), requests, error."""
    from rich.table import Table

    t = Table(title=f"live refresh -> {report.root}  ({report.fetched_at:%Y-%m-%d %H:%M} UTC)")
    for c in ("source", "new rows", "last bar", "requests", "result"):
        t.add_column(c, justify="right" if c in ("new rows", "requests") else "left")
    for name, e in report.sources.items():
        res = f"[red]FAILED[/] {str(e['error'])[:90]}" if e.get("error") else "[green]ok[/]"
        t.add_row(name, str(e.get("new_rows", "-") if not e.get("error") else 0), str(e.get("last_bar") or "-"),
                  str(e.get("requests", "-")), res)
    console.print(t)


def render_freshness(fr: Mapping[str, Any], title: str = "Inputs (age at decision time)") -> None:
    """Every input: last observation, age vs limit, source, fetched at, users; then the verdict."""
    from rich.table import Table

    t = Table(title=title)
    for c in ("input", "last", "age (days)", "max", "source", "fetched at (UTC)", "used by"):
        t.add_column(c, justify="right" if c in ("age (days)", "max") else "left", overflow="fold")
    for key, e in fr["inputs"].items():
        age = "-" if e["age_days"] is None else f"{e['age_days']:.2f}"
        colour = "red" if e["stale"] else "green"
        src = str(e.get("source") or "-") + (" [red](refresh failed)[/]" if e.get("refresh_error") else "")
        users = e["used_by"]
        t.add_row(key, e["last"] or "never", f"[{colour}]{age}[/]", f"{e['max_age_days']:g}", src,
                  (e.get("fetched_at") or "-")[:16].replace("T", " "),
                  ", ".join(users[:3]) + (f" +{len(users) - 3}" if len(users) > 3 else ""))
    console.print(t)
    colour = "red" if not fr["ok"] else "yellow" if fr["dropped_signals"] or fr["overlay_fallbacks"] else "green"
    console.print(f"[{colour}]{fr['message']}[/]", highlight=False, soft_wrap=True)
