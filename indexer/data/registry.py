"""The asset registry: symbol, name, kind and themes of every asset indexer knows.

The project's own file ``indexer/data/assets.yaml`` covers every asset in the
reference data; users may load and merge their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import yaml

from indexer.exceptions import DataError

__all__ = ["Asset", "AssetRegistry", "ASSET_KINDS", "default_registry", "REGISTRY_FILE"]

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


@dataclass(frozen=True)
class Asset:
    """One asset: ``symbol`` (e.g. ``BTC``), display ``name``, ``kind`` and lower-case ``themes``."""

    symbol: str
    name: str
    kind: str
    themes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_stablecoin(self) -> bool:
        return self.kind == "stablecoin"


class AssetRegistry(Mapping[str, Asset]):
    """Read-only mapping ``symbol -> Asset`` with theme and kind look-ups."""

    def __init__(self, assets: Iterable[Asset] = ()) -> None:
        self._assets: dict[str, Asset] = {}
        for a in assets:
            if a.kind not in ASSET_KINDS:
                raise DataError(f"asset {a.symbol!r}: kind {a.kind!r} not one of {', '.join(ASSET_KINDS)}")
            self._assets[a.symbol] = a

    def __getitem__(self, symbol: str) -> Asset:
        try:
            return self._assets[symbol]
        except KeyError:
            raise KeyError(f"asset {symbol!r} is not in the registry") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._assets)

    def __len__(self) -> int:
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
        return self.of_kind("stablecoin")

    def merge(self, other: "AssetRegistry") -> "AssetRegistry":
        """A new registry: ``other``'s entries override this one's."""
        return AssetRegistry([*self._assets.values(), *other.values()])

    @classmethod
    def from_yaml(cls, path: str | Path) -> "AssetRegistry":
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
                    )
                )
            except (KeyError, TypeError) as exc:
                raise DataError(f"{path}: assets[{i}] lacks field {exc}; expected symbol, name, kind, themes") from exc
        try:
            return cls(assets)
        except DataError as exc:
            raise DataError(f"{path}: {exc}") from exc


_DEFAULT: AssetRegistry | None = None


def default_registry() -> AssetRegistry:
    """The project's registry (``indexer/data/assets.yaml``), loaded once."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = AssetRegistry.from_yaml(REGISTRY_FILE) if REGISTRY_FILE.exists() else AssetRegistry()
    return _DEFAULT
