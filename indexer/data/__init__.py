"""Data layer: panels, the ``MarketData`` bundle, the asset registry, loaders and the local cache."""

from __future__ import annotations

from indexer.data.fetched_data import fetch_reference, fetch_to_cache, load_fetched
from indexer.data.longformat import from_long, read_csv, read_parquet
from indexer.data.market import MarketData, Sentiment, to_utc
from indexer.data.panel import repair_panel, validate_panel
from indexer.data.reference_data import REFERENCE_START, import_reference, load_reference, reference_cached
from indexer.data.registry import Asset, AssetRegistry, default_registry

__all__ = [
    "MarketData",
    "Sentiment",
    "to_utc",
    "validate_panel",
    "repair_panel",
    "Asset",
    "AssetRegistry",
    "default_registry",
    "load_reference",
    "import_reference",
    "REFERENCE_START",
    "read_csv",
    "read_parquet",
    "from_long",
    "reference_cached",
    "fetch_reference",
    "fetch_to_cache",
    "load_fetched",
]
