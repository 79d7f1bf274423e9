"""indexer.universe layer (see ARCHITECTURE.md)."""

__all__: list[str] = []
