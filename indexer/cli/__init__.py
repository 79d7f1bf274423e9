"""Command line interface (top layer): ``indexer --help``."""

__all__: list[str] = []
