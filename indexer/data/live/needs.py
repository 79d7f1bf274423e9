"""``InputNeeds``: which data inputs a strategy reads, and the live source and default age limit of each.

Input keys: ``close``, ``volume``, ``market_cap``, ``fear_greed``, ``news`` and
``metric:<Coin Metrics name>`` (e.g. ``metric:AdrActCnt``).  Each belongs to a
kind with a default maximum age (days): prices 1, market caps 2, Fear & Greed
3, on-chain 7, news 14.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["InputNeeds", "DEFAULT_MAX_AGE_DAYS", "input_kind", "input_source", "ONCHAIN_LIVE_METRICS"]

#: Default maximum tolerated age per input kind, days.
DEFAULT_MAX_AGE_DAYS: dict[str, float] = {"prices": 1.0, "market_cap": 2.0, "fear_greed": 3.0, "onchain": 7.0, "news": 14.0}
#: Metrics without a live source here (DefiLlama TVL is only read from files).
_NO_LIVE = frozenset({"TVL"})
ONCHAIN_LIVE_METRICS = "Coin Metrics community API names (AdrActCnt, TxCnt, TxTfrValAdjUSD, CapMrktCurUSD, FeeTotUSD, ...)"


def input_kind(key: str) -> str:
    """``close``/``volume`` -> ``prices``; ``metric:X`` -> ``onchain``; else the key itself."""
    if key in ("close", "volume"):
        return "prices"
    if key.startswith("metric:"):
        return "onchain"
    return key


def input_source(key: str) -> str | None:
    """Return the live source refreshing ``key`` (``ohlcv``, ``market_cap``, ``fear_greed``, ``onchain``, ``news``), or ``None``."""
    kind = input_kind(key)
    if kind == "prices":
        return "ohlcv"
    if kind == "onchain":
        return None if key.split(":", 1)[1] in _NO_LIVE else "onchain"
    return kind if kind in ("market_cap", "fear_greed", "news") else None


@dataclass(frozen=True)
class InputNeeds:
    """The inputs to refresh: keys (see module docstring) and the assets, ``None`` = the configured candidates."""

    inputs: frozenset[str] = field(default_factory=lambda: frozenset({"close"}))
    assets: tuple[str, ...] | None = None

    @property
    def metrics(self) -> list[str]:
        """Coin Metrics names asked for."""
        return sorted(k.split(":", 1)[1] for k in self.inputs if k.startswith("metric:") and input_source(k))

    def sources(self) -> list[str]:
        """Live sources these inputs need, in refresh order (prices first)."""
        order = ["ohlcv", "market_cap", "fear_greed", "onchain", "news"]
        wanted = {input_source(k) for k in self.inputs} | {"ohlcv"}
        return [s for s in order if s in wanted]
