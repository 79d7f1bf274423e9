"""The exception hierarchy of indexer (see ARCHITECTURE.md, "Errors").

Every error raised on purpose by the library derives from :class:`IndexerError`,
so callers can catch the whole family.  Messages name the file, row, asset or
field at fault and what was expected.
"""

from __future__ import annotations

__all__ = [
    "IndexerError",
    "ConfigError",
    "DataError",
    "StaleDataError",
    "SignalError",
    "OptimisationError",
    "ComplianceError",
    "ExecutionError",
    "RetryableExecutionError",
    "OrderRejected",
    "IndexerWarning",
]


class IndexerError(Exception):
    """Base class of every error indexer raises on purpose."""


class ConfigError(IndexerError):
    """A strategy, bot or sweep file (or option) is invalid."""


class DataError(IndexerError):
    """Input data is malformed: names the file, asset, row or field at fault."""


class StaleDataError(DataError):
    """The latest bar is older than the allowed age."""


class SignalError(IndexerError):
    """A signal failed to compute or returned a malformed panel."""


class OptimisationError(IndexerError):
    """The optimiser found the problem infeasible, unbounded or failed to solve it."""


class ComplianceError(IndexerError):
    """A holding or order breaks an investor-profile rule (names rule and asset)."""


class ExecutionError(IndexerError):
    """An exchange operation failed."""


class RetryableExecutionError(ExecutionError):
    """A transient exchange failure (network, timeout, rate limit, exchange down)."""


class OrderRejected(ExecutionError):
    """The exchange refused an order (insufficient funds, invalid order, bad symbol)."""


class IndexerWarning(UserWarning):
    """Something indexer accepted or repaired on purpose and says so (the CLI shows it as one yellow line)."""
