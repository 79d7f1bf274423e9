"""The standard benchmarks, written as strategy specs so they go through the same decision code."""

from __future__ import annotations

from typing import Any

__all__ = ["BENCHMARK_SPECS", "BENCHMARK_LABELS", "BENCHMARK_SHORT", "HOLD_BENCHMARKS", "benchmark_strategy"]

_TOP10 = {"top_n": 10, "rank_by": "market_cap", "min_history_days": 90, "exclude_kinds": ["stablecoin"]}

#: name -> strategy spec (dict for :meth:`indexer.strategy.Strategy.from_dict`).
BENCHMARK_SPECS: dict[str, dict[str, Any]] = {
    "btc": {
        "name": "btc",
        "description": "Buy and hold BTC (bought once, never rebalanced).",
        "universe": {"top_n": 1, "include": ["BTC"], "exclude_kinds": ["stablecoin"]},
        "optimiser": {"objective": "fixed", "params": {"weights": {"BTC": 1.0}}},
        "rebalance": {"every": "monthly"},
    },
    "mcap_top10": {
        "name": "mcap_top10",
        "description": "Top 10 non-stablecoins by market cap, uncapped market-cap weights, monthly.",
        "universe": _TOP10,
        "optimiser": {"objective": "market_cap", "params": {"power": 1.0}},
        "rebalance": {"every": "monthly"},
    },
    "ew_top10": {
        "name": "ew_top10",
        "description": "Top 10 non-stablecoins by market cap, equal weights, monthly.",
        "universe": _TOP10,
        "optimiser": {"objective": "equal_weight"},
        "rebalance": {"every": "monthly"},
    },
    "btc_eth_60_40": {
        "name": "btc_eth_60_40",
        "description": "60% BTC / 40% ETH, rebalanced monthly.",
        "universe": {"top_n": 1, "include": ["BTC", "ETH"], "exclude_kinds": ["stablecoin"]},
        "optimiser": {"objective": "fixed", "params": {"weights": {"BTC": 0.6, "ETH": 0.4}}},
        "rebalance": {"every": "monthly"},
    },
}

BENCHMARK_LABELS = {
    "btc": "BTC buy & hold",
    "mcap_top10": "Market-cap top 10",
    "ew_top10": "Equal-weight top 10",
    "btc_eth_60_40": "60/40 BTC/ETH",
}

#: Short names for narrow tables.
BENCHMARK_SHORT = {"btc": "BTC", "mcap_top10": "MCap10", "ew_top10": "EW10", "btc_eth_60_40": "60/40"}

#: Benchmarks that are bought once and held.
HOLD_BENCHMARKS = frozenset({"btc"})


def benchmark_strategy(name: str):
    """Return the :class:`~indexer.strategy.Strategy` of a standard benchmark."""
    from indexer.exceptions import ConfigError
    from indexer.strategy import Strategy

    if name not in BENCHMARK_SPECS:
        raise ConfigError(f"unknown benchmark {name!r}; one of {', '.join(BENCHMARK_SPECS)}")
    return Strategy.from_dict(BENCHMARK_SPECS[name], source=f"<benchmark {name}>")
