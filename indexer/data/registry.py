"""The asset registry: symbol, name, kind and themes of every asset indexer knows.

The project's own file ``indexer/data/assets.yaml`` covers every asset in the
reference data; users may load and merge their own.

Identity: an asset is keyed by a stable id (``Asset.symbol``, the panel column,
e.g. ``LUNC`` for Terra Classic).  Symbols are reused and renamed, so an entry
may list the dated ``symbols`` it traded under::

    - symbol: LUNC            # stable id
      name: Terra Classic
      symbols:
      - {symbol: LUNA, until: 2022-05-27}
      - {symbol: LUNC, from: 2022-05-28}

:meth:`AssetRegistry.resolve` maps ``(symbol, date)`` to the id; two entries
claiming the same symbol on the same day are rejected.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

from indexer.exceptions import DataError

__all__ = ["Asset", "AssetRegistry", "DatedSymbol", "ASSET_KINDS", "KNOWN_THEMES", "allowed_themes", "default_registry",
           "REGISTRY_FILE"]

#: Allowed values of :attr:`Asset.kind`.
ASSET_KINDS = (
    "currency",
    "platform",
    "defi",
    "stablecoin",
    "exchange",
    "meme",
    "ai",
    "gaming",
    "oracle",
    "rwa",
    "security-token",
    "infrastructure",
    "privacy",
    "wrapped",
)

REGISTRY_FILE = Path(__file__).with_name("assets.yaml")

#: Themes a user can compose a thematic index from (an asset matches a theme
#: when the theme is among its registry themes or equals its kind).
KNOWN_THEMES = ("ai", "defi", "l1", "l2", "gaming", "meme", "rwa", "oracle", "privacy", "exchange", "infrastructure")


def allowed_themes() -> set[str]:
    """Themes a strategy may name (universe themes, theme caps): :data:`KNOWN_THEMES`, every kind, every registry theme."""
    reg = default_registry()
    return set(KNOWN_THEMES) | set(ASSET_KINDS) | {t for s in reg for t in reg.themes(s)}


@dataclass(frozen=True)
class DatedSymbol:
    """A ticker an asset used from ``start`` to ``end`` (inclusive UTC days; ``None`` = open)."""

    symbol: str
    start: date | None = None
    end: date | None = None

    def covers(self, day: date) -> bool:
        """Return True when ``day`` falls within this symbol's validity."""
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Asset:
    """One asset: stable id ``symbol`` (e.g. ``BTC``), display ``name``, ``kind``, lower-case ``themes``.

    ``symbols``: the dated tickers it traded under; empty means its id, always.
    """

    symbol: str
    name: str
    kind: str
    themes: tuple[str, ...] = field(default_factory=tuple)
    symbols: tuple[DatedSymbol, ...] = field(default_factory=tuple)

    @property
    def id(self) -> str:
        """The stable id (the panel column)."""
        return self.symbol

    @property
    def is_stablecoin(self) -> bool:
        """Whether the asset is a stablecoin."""
        return self.kind == "stablecoin"

    def tickers(self) -> tuple[DatedSymbol, ...]:
        """Dated tickers (its own id, undated, when none are listed)."""
        return self.symbols or (DatedSymbol(self.symbol),)


class AssetRegistry(Mapping[str, Asset]):
    """Read-only mapping ``symbol -> Asset`` with theme and kind look-ups."""

    def __init__(self, assets: Iterable[Asset] = ()) -> None:
        self._assets: dict[str, Asset] = {}
        for a in assets:
            if a.kind not in ASSET_KINDS:
                raise DataError(f"asset {a.symbol!r}: kind {a.kind!r} not one of {', '.join(ASSET_KINDS)}")
            self._assets[a.symbol] = a
        self._tickers: dict[str, list[tuple[DatedSymbol, str]]] = {}
        for a in self._assets.values():
            for t in a.tickers():
                for other, oid in self._tickers.get(t.symbol, []):
                    lo = max(t.start or date.min, other.start or date.min)
                    hi = min(t.end or date.max, other.end or date.max)
                    if lo <= hi and oid != a.symbol:
                        raise DataError(
                            f"symbol {t.symbol!r} claimed by assets {oid!r} and {a.symbol!r} on {lo}; "
                            "give each a dated range (from/until) that does not overlap"
                        )
                self._tickers.setdefault(t.symbol, []).append((t, a.symbol))

    def resolve(self, symbol: str, day: object) -> str | None:
        """Stable id of the asset that traded as ``symbol`` on ``day`` (UTC date), or None if unknown.

        >>> default_registry().resolve("LUNA", "2022-05-01")  # doctest: +SKIP
        'LUNC'
        """
        d = _as_date(day)
        for t, aid in self._tickers.get(str(symbol).strip().upper(), []):
            if t.covers(d):
                return aid
        return None

    def __getitem__(self, symbol: str) -> Asset:
        """Return the asset of ``symbol``; KeyError when it is not registered."""
        try:
            return self._assets[symbol]
        except KeyError:
            raise KeyError(f"asset {symbol!r} is not in the registry") from None

    def __iter__(self) -> Iterator[str]:
        """Iterate over the registered symbols."""
        return iter(self._assets)

    def __len__(self) -> int:
        """Return the number of registered assets."""
        return len(self._assets)

    def kind(self, symbol: str, default: str = "currency") -> str:
        """Kind of ``symbol`` (``default`` when unknown)."""
        a = self._assets.get(symbol)
        return a.kind if a else default

    def themes(self, symbol: str) -> tuple[str, ...]:
        """Themes of ``symbol`` (empty when unknown)."""
        a = self._assets.get(symbol)
        return a.themes if a else ()

    def with_theme(self, theme: str) -> list[str]:
        """Symbols tagged with ``theme`` (case-insensitive)."""
        t = theme.lower()
        return [s for s, a in self._assets.items() if t in a.themes or a.kind == t]

    def of_kind(self, *kinds: str) -> list[str]:
        """Symbols whose kind is one of ``kinds``."""
        return [s for s, a in self._assets.items() if a.kind in kinds]

    def stablecoins(self) -> list[str]:
        """Return the symbols of kind ``stablecoin``."""
        return self.of_kind("stablecoin")

    def merge(self, other: AssetRegistry) -> AssetRegistry:
        """Return a new registry: ``other``'s entries override this one's."""
        return AssetRegistry([*self._assets.values(), *other.values()])

    @classmethod
    def from_yaml(cls, path: str | Path) -> AssetRegistry:
        """Load ``{assets: [{symbol, name, kind, themes}]}`` from a YAML file."""
        path = Path(path)
        try:
            doc = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: ~20x faster
        except (OSError, yaml.YAMLError) as exc:
            raise DataError(f"{path}: cannot read asset registry: {exc}") from exc
        rows = (doc or {}).get("assets")
        if not isinstance(rows, list):
            raise DataError(f"{path}: expected a top-level 'assets:' list")
        assets = []
        for i, row in enumerate(rows):
            try:
                assets.append(
                    Asset(
                        symbol=str(row["symbol"]),
                        name=str(row.get("name", row["symbol"])),
                        kind=str(row["kind"]),
                        themes=tuple(str(t).lower() for t in row.get("themes", []) or []),
                        symbols=_symbols(row, path, i),
                    )
                )
            except (KeyError, TypeError) as exc:
                raise DataError(f"{path}: assets[{i}] lacks field {exc}; expected symbol, name, kind, themes") from exc
        try:
            return cls(assets)
        except DataError as exc:
            raise DataError(f"{path}: {exc}") from exc


def _as_date(day: object) -> date:
    if isinstance(day, date):
        return day.date() if isinstance(day, datetime) else day  # datetime / Timestamp -> date
    import pandas as pd

    return pd.Timestamp(str(day)).date()


def _dated(value: object, path: Path, i: int) -> date | None:
    if value is None:
        return None
    try:
        return _as_date(value)
    except ValueError as exc:
        raise DataError(f"{path}: assets[{i}].symbols: {value!r} is not a date (YYYY-MM-DD)") from exc


def _symbols(row: dict, path: Path, i: int) -> tuple[DatedSymbol, ...]:
    items = row.get("symbols") or []
    if not isinstance(items, list):
        raise DataError(f"{path}: assets[{i}].symbols must be a list of {{symbol, from, until}}")
    out = []
    for it in items:
        if not isinstance(it, dict) or "symbol" not in it:
            raise DataError(f"{path}: assets[{i}].symbols: {it!r} lacks 'symbol'; expected {{symbol, from, until}}")
        out.append(DatedSymbol(str(it["symbol"]).upper(), _dated(it.get("from"), path, i), _dated(it.get("until"), path, i)))
    return tuple(out)


def default_registry() -> AssetRegistry:
    """Return the project's registry (``indexer/data/assets.yaml``), read once per version of the file.

    It is kept in the ``data.registry`` bucket of the run cache (:func:`indexer.runcache.active`), keyed by the file's size and
    modification time.
    """
    from indexer.runcache import active

    try:
        st = REGISTRY_FILE.stat()
    except OSError:
        return AssetRegistry()
    key = (str(REGISTRY_FILE), st.st_size, st.st_mtime_ns)
    return active().get_or_make("data.registry", key, lambda: AssetRegistry.from_yaml(REGISTRY_FILE))
