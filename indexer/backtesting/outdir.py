"""Output folders written atomically, with a run manifest, never mixed with another run's files.

``write_run(result, out, data=...)`` writes every output into a temporary sibling
folder ``.<name>.tmp-<pid>-<random>`` and renames it to ``out`` at the end, so a
killed run leaves no half-written folder (a later run removes such leftovers).
A folder that already holds files is refused unless ``overwrite=True``; then the
old folder is replaced in one rename.  ``run.json`` (the manifest: strategy hash,
settings, data fingerprint, UTC time, indexer version) goes beside the outputs
and into ``result.settings["manifest"]``, which the HTML report shows.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.exceptions import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from indexer.backtesting.result import BacktestResult
    from indexer.data.market import MarketData

__all__ = [
    "MANIFEST", "atomic_folder", "check_out_dir", "data_fingerprint", "run_manifest", "write_run", "clean_leftovers",
]

MANIFEST = "run.json"


def data_fingerprint(data: MarketData) -> str:
    """``sha256:<16 hex>`` of the close panel (index, assets, values): equal data, equal fingerprint."""
    import numpy as np

    h = hashlib.sha256()
    close = data.close
    h.update(np.asarray(close.index.asi8).tobytes())
    h.update("\x1f".join(map(str, close.columns)).encode())
    h.update(np.ascontiguousarray(close.to_numpy(dtype="float64")).tobytes())
    return "sha256:" + h.hexdigest()[:16]


def run_manifest(result: BacktestResult, data: MarketData | None = None, command: list[str] | None = None) -> dict[str, Any]:
    """Return what identifies a run: strategy hash, settings, data fingerprint, UTC time, indexer version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("indexer")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        ver = "unknown"
    text = result.strategy_text or ""
    prov = result.provenance or {}
    return {
        "strategy": result.name,
        "strategy_sha256": hashlib.sha256(text.encode()).hexdigest()[:16] if text else None,
        "settings": {k: v for k, v in result.settings.items() if k != "manifest"},
        "data_fingerprint": data_fingerprint(data) if data is not None else None,
        "data_source": prov.get("source"),
        "written_at_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "indexer_version": ver,
        "command": command,
    }


def clean_leftovers(out: Path) -> list[Path]:
    """Remove ``.<name>.tmp-<pid>-*`` folders beside ``out`` whose process is gone; returns them."""
    removed: list[Path] = []
    parent = out.parent
    if not parent.is_dir():
        return removed
    for p in parent.glob(f".{out.name}.tmp-*"):
        try:
            pid = int(p.name.split(".tmp-")[1].split("-")[0])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and _alive(pid):
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_out_dir(out: Path, *, overwrite: bool = False) -> None:
    """Refuse an ``out`` that is a file, or a folder holding files, unless ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file; expected a folder (new or empty)")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        what = "another run's outputs"
        m = out / MANIFEST
        if m.is_file():
            try:
                doc = json.loads(m.read_text())
                what = f"the outputs of run {doc.get('strategy')!r} written {doc.get('written_at_utc')}"
            except (OSError, ValueError):
                pass
        elif not any((out / f).exists() for f in ("stats.json", "report.html", "equity.csv")):
            what = "other files"
        raise ConfigError(f"--out {out}: the folder holds {what}; pass --overwrite to replace it or choose another folder")


def write_run(
    result: BacktestResult,
    out: str | Path,
    *,
    data: MarketData | None = None,
    overwrite: bool = False,
    html: bool = True,
    png: bool = True,
    command: list[str] | None = None,
) -> dict[str, Path]:
    """Write every output of ``result`` and ``run.json`` to ``out`` atomically (see module docstring).

    Returns output name -> final path.  Raises ``ConfigError`` for an unusable ``out``.
    """
    from indexer.backtesting.outputs import write_outputs

    out = Path(out).expanduser()
    manifest = run_manifest(result, data, command)
    result.settings["manifest"] = manifest
    with atomic_folder(out, overwrite=overwrite) as tmp:
        paths = write_outputs(result, tmp, html=html, png=png)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
        paths["manifest"] = tmp / MANIFEST
    return {k: out / Path(v).relative_to(tmp) for k, v in paths.items()}


@contextmanager
def atomic_folder(out: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling folder of ``out``; renamed to ``out`` when the block succeeds, removed if not.

    ``out`` holding files is refused (:func:`check_out_dir`) unless ``overwrite``; then the old
    folder is replaced in one rename.  Leftovers of killed writers are removed first.
    """
    out = Path(out).expanduser()
    check_out_dir(out, overwrite=overwrite)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise ConfigError(f"--out {out}: the parent {out.parent} is not a folder") from None
    clean_leftovers(out)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{secrets.token_hex(3)}"
    tmp.mkdir()
    try:
        yield tmp
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.tmp-{os.getpid()}-old-{secrets.token_hex(3)}"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
