"""The ``Signal`` plug-in point: base class, registry and lookup by name or dotted path.

A signal maps :class:`~indexer.data.MarketData` to a panel with the same
index and columns as ``data.close``; row t uses only information available at
the close of t; higher means more attractive.  Calling a signal (``sig(data)``)
runs :meth:`Signal.compute`, wraps any failure into :class:`SignalError`
naming the signal, and checks the output's shape.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
import pandas as pd

from indexer.dotted import DottedPathError, load_dotted
from indexer.exceptions import IndexerError, SignalError
from indexer.signals._util import tail

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["Signal", "register_signal", "available", "get", "signal_class"]

_REGISTRY: dict[str, type[Signal]] = {}
S = TypeVar("S", bound=type["Signal"])


class Signal:
    """Base class of every signal.

    Subclasses set ``name`` (via :func:`register_signal`), take their
    parameters as explicit keyword arguments in ``__init__`` (stored under the
    same names, scikit-learn style), report :attr:`lookback` (bars of history
    needed before the first non-NaN value) and implement :meth:`compute`; those
    whose last row depends only on a trailing window of bars also set
    :attr:`last_row_extra` or override :attr:`last_row_window` (the fast
    last-row path used by ``score``).
    """

    name: ClassVar[str] = "signal"
    #: One-line description shown by ``indexer signals list``.
    summary: ClassVar[str] = ""
    #: Data inputs the signal reads: ``close``, ``volume``, ``market_cap``, ``fear_greed``, ``news`` or
    #: ``metric:<Coin Metrics name>``.  The bot refreshes exactly these and checks their age before deciding.
    inputs: ClassVar[tuple[str, ...]] = ("close",)
    #: Maximum tolerated age per input, days (``{"metric:AdrActCnt": 10}``); unset inputs take the
    #: defaults of their kind: prices 1, market caps 2, Fear & Greed 3, on-chain 7, news 14.
    max_age_days: ClassVar[Mapping[str, float]] = {}

    def data_inputs(self) -> tuple[str, ...]:
        """Return the inputs of this configured signal (:attr:`inputs`; signals whose inputs depend on a parameter override)."""
        return tuple(self.inputs)

    @property
    def lookback(self) -> int:
        """Bars of history needed before the first value (an upper bound)."""
        return 0

    #: Bars beyond :attr:`lookback` that the last row also depends on (e.g. 1 for the
    #: bar before a return's first price); ``None``: the whole history.
    last_row_extra: ClassVar[int | None] = None

    @property
    def last_row_window(self) -> int | None:
        """Trailing bars that fully determine the last row, or ``None`` (the whole history; the safe default).

        ``lookback + last_row_extra`` when the class sets :attr:`last_row_extra`;
        subclasses with another rule override this property.  When set,
        :meth:`compute` on the last ``last_row_window`` bars gives the same last
        row as on the whole history (``tests/signals/test_contract.py`` checks it
        for every registered signal); :meth:`last` and ``score`` use it.
        """
        return None if self.last_row_extra is None else self.lookback + self.last_row_extra

    def last(self, data: MarketData) -> pd.Series:
        """Return the last row of ``self(data)`` (the signal at ``data``'s last bar), computed on :attr:`last_row_window` bars only."""
        w = self.last_row_window
        if w is not None and len(data.close) > w:
            data = tail(data, w)
        return self(data).iloc[-1]

    def compute(self, data: MarketData) -> pd.DataFrame:  # pragma: no cover - abstract
        """Compute the signal panel (same index/columns as ``data.close``, higher = more attractive)."""
        raise SignalError(f"signal {self.name!r} does not implement compute()")

    def get_params(self) -> dict[str, Any]:
        """Return the constructor parameters and their current values."""
        sig = inspect.signature(type(self).__init__)
        return {k: getattr(self, k) for k in sig.parameters if k != "self" and hasattr(self, k)}

    def __repr__(self) -> str:
        """Return the class name and parameters."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __call__(self, data: MarketData) -> pd.DataFrame:
        """Compute and check the panel; any failure becomes :class:`SignalError` naming the signal."""
        try:
            out = self.compute(data)
        except SignalError:
            raise
        except IndexerError as exc:
            raise SignalError(f"signal {self!r}: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - a plug-in may fail in any way; name it
            raise SignalError(f"signal {self!r} failed: {type(exc).__name__}: {exc}") from exc
        return check_output(self, out, data.close)


def check_output(sig: Signal, out: Any, close: pd.DataFrame) -> pd.DataFrame:
    """``out`` as a float64 panel aligned to ``close`` or :class:`SignalError` saying what differs."""
    if not isinstance(out, pd.DataFrame):
        raise SignalError(f"signal {sig!r} returned {type(out).__name__}; expected a DataFrame panel")
    if not out.index.equals(close.index):
        raise SignalError(
            f"signal {sig!r}: output index ({len(out.index)} rows) differs from close's ({len(close.index)} rows)"
        )
    if not out.columns.equals(close.columns):
        extra = sorted(set(out.columns) - set(close.columns))
        missing = sorted(set(close.columns) - set(out.columns))
        raise SignalError(f"signal {sig!r}: output columns differ from close (extra {extra}, missing {missing})")
    try:
        out = out.astype("float64")
    except (TypeError, ValueError) as exc:
        raise SignalError(f"signal {sig!r}: output is not numeric: {exc}") from exc
    vals = out.to_numpy()
    if np.isinf(vals).any():
        col = out.columns[np.isinf(vals).any(axis=0)][0]
        raise SignalError(f"signal {sig!r}: infinite values for asset {col!r}")
    out.index.name, out.columns.name = "timestamp", "asset"
    return out


def register_signal(name: str) -> Callable[[S], S]:
    """Class decorator: register a :class:`Signal` subclass under ``name``."""

    def deco(cls: S) -> S:
        if not (isinstance(cls, type) and issubclass(cls, Signal)):
            raise TypeError(f"@register_signal({name!r}) decorates Signal subclasses, got {cls!r}")
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise SignalError(f"signal name {name!r} is already registered by {_REGISTRY[name].__qualname__}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def available() -> list[str]:
    """Sorted names of the registered signals."""
    return sorted(_REGISTRY)


def signal_class(name: str) -> type[Signal]:
    """Return the class registered as ``name``, or loaded from a dotted path ``pkg.module.Class``."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    if "." in name:
        try:
            cls = load_dotted(name)
        except DottedPathError as exc:
            raise SignalError(f"signal {name!r}: {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, Signal)):
            raise SignalError(f"signal {name!r} is not a Signal subclass")
        return cls
    raise SignalError(f"unknown signal {name!r}; allowed: {', '.join(available())} (or a dotted path pkg.module.Class)")


_INIT_PARAMS: dict[type, list[str]] = {}


def _init_params(cls: type[Signal]) -> list[str]:
    """Keyword parameters of ``cls.__init__`` (memoised: ``inspect.signature`` is slow and classes do not change)."""
    got = _INIT_PARAMS.get(cls)
    if got is None:
        init = cls.__init__
        got = _INIT_PARAMS[cls] = [k for k in inspect.signature(init).parameters if k != "self"]
    return got


def get(name: str, **params: Any) -> Signal:
    """Return a configured signal: registered ``name`` (or dotted path) with keyword ``params``.

    Raises
    ------
    SignalError
        Unknown name, or parameters the signal does not accept (listing those it does).
    """
    cls = signal_class(name)
    allowed = _init_params(cls)
    bad = sorted(set(params) - set(allowed))
    if bad:
        raise SignalError(f"signal {name!r}: unknown parameter(s) {bad}; allowed: {allowed}")
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:
        raise SignalError(f"signal {name!r}: bad parameters {params}: {exc}") from exc
