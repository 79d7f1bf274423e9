"""Importing vectorbt without its optional exchange clients (a faster cold start).

``vectorbt.data.custom`` imports ``ccxt`` (about 1 s) and ``python-binance`` only for type hints,
inside ``try/except ImportError``.  When neither is loaded yet we make those imports fail for the
duration of ``import vectorbt`` (it then uses ``Any`` hints) and restore normal importing
afterwards, so later ``import ccxt`` (execution layer) works as usual.
"""

from __future__ import annotations

import sys
from types import ModuleType

__all__ = ["vbt"]

_SKIP = ("ccxt.base.exchange", "binance.client")


def vbt() -> ModuleType:
    """Return the ``vectorbt`` module (imported once)."""
    mod = sys.modules.get("vectorbt")
    if mod is not None:
        return mod
    blocked = [name for name in _SKIP if name.split(".")[0] not in sys.modules and name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # makes "from name import X" raise ImportError
    try:
        import vectorbt
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return vectorbt
