"""Loading a plug-in (objective, signal, custom constraint) from a dotted path ``pkg.module.name``."""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["load_dotted", "DottedPathError"]


class DottedPathError(LookupError):
    """``path`` names nothing importable; the message says what failed (the caller adds what it was for)."""


def load_dotted(path: str) -> Any:
    """Return the object at ``pkg.module.name``.

    Raises
    ------
    DottedPathError
        ``path`` has no module part, the module cannot be imported or has no such attribute.
    """
    mod, _, attr = str(path).rpartition(".")
    if not mod:
        raise DottedPathError("give a dotted path pkg.module.name")
    try:
        return getattr(import_module(mod), attr)
    except (ImportError, AttributeError) as exc:
        raise DottedPathError(f"cannot import {attr!r} from {mod!r}: {exc}") from None
