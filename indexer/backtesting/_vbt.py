"""Importing vectorbt without what a backtest does not use (a faster cold start).

* ``vectorbt.data.custom`` imports ``ccxt`` (about 1 s) and ``python-binance`` only for type hints,
  inside ``try/except ImportError``.
* ``vectorbt._typing`` imports plotly's ``FigureWidget`` and with it ``ipywidgets`` (about 0.1 s), for
  charts shown as notebook widgets.  The command line shows none: :func:`indexer.cli.main.main` sets
  ``INDEXER_NO_WIDGETS=1``, and then vectorbt is imported without ``ipywidgets`` (plotly's stand-in
  class takes its place).  Notebooks keep the default (widgets available).

When a module is not loaded yet we make importing it fail for the duration of ``import vectorbt``
and restore normal importing afterwards, so a later ``import ccxt`` (execution layer) works as usual.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

__all__ = ["vbt", "NO_WIDGETS_ENV"]

_SKIP = ("ccxt.base.exchange", "binance.client")
#: Set (to any non-empty value) to import vectorbt without notebook widgets (the command line sets it).
NO_WIDGETS_ENV = "INDEXER_NO_WIDGETS"


def vbt() -> ModuleType:
    """Return the ``vectorbt`` module (imported once)."""
    mod = sys.modules.get("vectorbt")
    if mod is not None:
        return mod
    skip = _SKIP + (("ipywidgets",) if os.environ.get(NO_WIDGETS_ENV) else ())
    blocked = [name for name in skip if name.split(".")[0] not in sys.modules and name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # makes "from name import X" raise ImportError
    try:
        import vectorbt
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return vectorbt
