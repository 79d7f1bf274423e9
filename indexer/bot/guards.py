"""The risk guards, shared with ``indexer rebalance``: see :mod:`indexer.execution.guards`."""

from __future__ import annotations

from indexer.execution.guards import (KillSwitch, RiskLimitError, check_kill_switch, check_orders, check_prices,
                                      check_stale, check_turnover)

__all__ = ["RiskLimitError", "KillSwitch", "check_stale", "check_prices", "check_orders", "check_turnover",
           "check_kill_switch"]
