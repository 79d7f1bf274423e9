"""Versioned joblib store for fitted models under ``indexer.config.data_dir()/models/`` (never committed).

Each artefact is a dict ``{"stamp": {...}, "model": estimator}``; the stamp
holds the model kind, :data:`STORE_VERSION`, the scikit-learn version and a
content key.  A stamp that does not match what the caller expects (older code,
another scikit-learn) is treated as a miss and the model is refitted.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import sklearn

from indexer.config import data_dir

__all__ = ["STORE_VERSION", "models_dir", "content_key", "load_or_fit", "save_model", "load_model"]

#: Bump when a stored model's meaning changes (features, labels, pipeline).
STORE_VERSION = "1"


def models_dir() -> Path:
    """``indexer.config.data_dir()/models``."""
    return data_dir() / "models"


def content_key(*parts: Any) -> str:
    """Return a short stable hash of ``parts`` (strings, numbers, sequences of them)."""
    h = hashlib.sha1()
    for p in parts:
        if isinstance(p, (list, tuple)):
            h.update("\x1f".join(map(str, p)).encode("utf-8", "surrogatepass"))
        else:
            h.update(str(p).encode("utf-8", "surrogatepass"))
        h.update(b"\x1e")
    return h.hexdigest()[:16]


def _stamp(kind: str, key: str) -> dict[str, str]:
    return {"kind": kind, "version": STORE_VERSION, "sklearn": sklearn.__version__, "key": key}


def save_model(model: Any, kind: str, key: str, directory: Path | None = None) -> Path:
    """Write ``model`` atomically to ``<directory>/<kind>-v<version>-<key>.joblib``."""
    directory = Path(directory) if directory is not None else models_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{kind}-v{STORE_VERSION}-{key}.joblib"
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump({"stamp": _stamp(kind, key), "model": model}, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_model(kind: str, key: str, directory: Path | None = None) -> Any | None:
    """Load the stored model for (``kind``, ``key``) if its stamp matches this code, else ``None``."""
    directory = Path(directory) if directory is not None else models_dir()
    path = directory / f"{kind}-v{STORE_VERSION}-{key}.joblib"
    if not path.exists():
        return None
    try:
        payload = joblib.load(path)
    except Exception:  # noqa: BLE001 - a corrupt or foreign file is a cache miss, refit
        return None
    if not isinstance(payload, dict) or payload.get("stamp") != _stamp(kind, key):
        return None
    return payload["model"]


def load_or_fit(kind: str, key: str, fit: Callable[[], Any], directory: Path | None = None) -> Any:
    """Load the stored model or call ``fit()`` and store its result."""
    model = load_model(kind, key, directory)
    if model is None:
        model = fit()
        save_model(model, kind, key, directory)
    return model
