"""``UniverseSpec``: which assets a strategy may hold, as written in a strategy file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from indexer.data.registry import ASSET_KINDS, KNOWN_THEMES, allowed_themes

__all__ = ["UniverseSpec", "BufferSpec", "KNOWN_THEMES", "allowed_themes", "check_kinds"]



def check_kinds(v: Iterable[str]) -> list[str]:
    """Asset kinds lower-cased; ``ValueError`` listing the unknown ones and the allowed :data:`ASSET_KINDS`."""
    kinds = [str(k).lower() for k in v]
    bad = [k for k in kinds if k not in ASSET_KINDS]
    if bad:
        raise ValueError(f"unknown kind(s) {bad}; allowed: {', '.join(ASSET_KINDS)}")
    return kinds


class BufferSpec(BaseModel):
    """Rank buffer that reduces churn.

    A new asset enters at rank <= ``enter``; a held asset leaves only when its rank is > ``exit``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enter: int = Field(ge=1, description="Highest rank (1 = largest) at which a new asset may enter.")
    exit: int = Field(ge=1, description="A held asset is dropped once its rank is worse than this.")

    @model_validator(mode="after")
    def _ordered(self) -> BufferSpec:
        if self.exit < self.enter:
            raise ValueError(f"buffer.exit ({self.exit}) must be >= buffer.enter ({self.enter})")
        return self


class UniverseSpec(BaseModel):
    """Universe selection rules, applied point-in-time at each decision.

    Attributes
    ----------
    top_n
        Keep the ``top_n`` eligible assets by ``rank_by`` (``None``: all eligible).
    rank_by
        ``market_cap`` (USD, latest known) or ``volume`` (median daily USD volume).
    min_history_days
        Bars with a valid close needed up to ``as_of`` (e.g. 90).
    min_median_volume_usd
        Minimum median daily traded value (USD) over ``volume_window_days``.
    min_market_cap_usd
        Minimum latest market cap (USD).
    exclude_kinds
        Registry kinds never held (default: stablecoins; also ``wrapped``, ``exchange``...).
    themes
        Keep only assets having at least one of these themes (or kinds); ``None``: no theme filter.
    exclude_themes
        Drop assets having any of these themes.
    include
        Symbols always held when they have a price at ``as_of`` (bypass rank and screens except compliance).
    exclude
        Symbols never held.
    buffer
        Rank buffer against churn (needs ``previous`` weights; ignored on the first decision).
    max_stale_days
        A market cap older than this many bars at ``as_of`` counts as unknown.
    membership
        Point-in-time index membership: ``cmc_monthly_top200`` or
        ``cmc_weekly_top10``.  Candidates are then the members of the latest
        snapshot known at ``as_of`` (dead coins included), ranked by their
        snapshot rank; ``None`` (default) ranks the assets of the data.
    missing_prices
        What a chosen member without daily prices does: ``redistribute``
        (default; its weight goes to the priced members), ``cash`` (its
        nominal weight is held as cash) or ``snapshot_prices`` (priced from
        the monthly snapshots; needs ``cmc_monthly_top200`` and a monthly
        rebalance).  See :mod:`indexer.universe.membership`.
    tradable_on
        Keep only assets the named exchange (e.g. ``binance``) lists, point in time, from its saved, dated
        market list (:mod:`indexer.universe.tradable`); before the list's first date the screen is not
        applied and the log says so.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    top_n: int | None = Field(default=None, ge=1)
    rank_by: Literal["market_cap", "volume"] = "market_cap"
    min_history_days: int = Field(default=0, ge=0)
    min_median_volume_usd: float = Field(default=0.0, ge=0.0)
    volume_window_days: int = Field(default=30, ge=1)
    min_market_cap_usd: float = Field(default=0.0, ge=0.0)
    exclude_kinds: list[str] = Field(default_factory=lambda: ["stablecoin"])
    themes: list[str] | None = None
    exclude_themes: list[str] = Field(default_factory=list)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    buffer: BufferSpec | None = None
    max_stale_days: int = Field(default=35, ge=0)
    membership: Literal["cmc_monthly_top200", "cmc_weekly_top10"] | None = None
    missing_prices: Literal["redistribute", "cash", "snapshot_prices"] = "redistribute"
    tradable_on: str | None = Field(default=None, description="exchange whose saved market list screens assets")

    @field_validator("exclude_kinds")
    @classmethod
    def _kinds(cls, v: list[str]) -> list[str]:
        return check_kinds(v)

    @field_validator("themes", "exclude_themes")
    @classmethod
    def _themes(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        allowed = allowed_themes()
        low = [t.lower() for t in v]
        bad = [t for t in low if t not in allowed]
        if bad:
            raise ValueError(f"unknown theme(s) {bad}; allowed: {', '.join(sorted(allowed))}")
        return low

    @field_validator("include", "exclude")
    @classmethod
    def _symbols(cls, v: list[str]) -> list[str]:
        return [s.upper() for s in v]

    @model_validator(mode="after")
    def _consistent(self) -> UniverseSpec:
        both = sorted(set(self.include) & set(self.exclude))
        if both:
            raise ValueError(f"symbols {both} are both in include and exclude")
        if self.missing_prices == "snapshot_prices" and self.membership != "cmc_monthly_top200":
            raise ValueError(
                "missing_prices: snapshot_prices needs membership: cmc_monthly_top200 (the only snapshots with prices)"
            )
        if self.membership is not None and self.buffer is not None:
            raise ValueError("buffer does not apply with membership (members are ranked by their snapshot rank)")
        if self.membership is not None and self.rank_by != "market_cap":
            raise ValueError("rank_by must be market_cap with membership (snapshots rank by market cap)")
        if self.buffer is not None:
            if self.top_n is None:
                raise ValueError("buffer needs top_n (it buffers the rank cut-off)")
            if not self.buffer.enter <= self.top_n <= self.buffer.exit:
                raise ValueError(
                    f"buffer must satisfy enter <= top_n <= exit; got enter={self.buffer.enter}, "
                    f"top_n={self.top_n}, exit={self.buffer.exit}"
                )
        return self
