"""``Strategy``: universe -> signals -> optimiser -> overlays -> compliance, point-in-time.

>>> s = Strategy.from_yaml("strategies/top10_capped.yaml")      # doctest: +SKIP
>>> tp = s.target(data, "2024-06-01")                            # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import ValidationError

from indexer._typing import CASH, TargetPortfolio, WeightCaps
from indexer.data.market import to_utc
from indexer.exceptions import ComplianceError, ConfigError, DataError, OptimisationError, SignalError
from indexer.strategy.asset_names import check_asset_names
from indexer.strategy.errors import config_error
from indexer.strategy.jsonable import jsonable
from indexer.strategy.overlays import OverlayContext
from indexer.strategy.pipeline import base_portfolio, needs_returns
from indexer.strategy.replay import PreOverlayReplay
from indexer.strategy.schedule import schedule_dates
from indexer.strategy.spec import StrategySpec
from indexer.universe import COMPLIANCE_RULES, cap_kind_weights, check_weights

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data.market import MarketData

__all__ = ["Strategy"]


class Strategy:
    """A strategy file made executable.

    Parameters
    ----------
    spec
        The validated :class:`StrategySpec`.
    source
        Where it came from (file path or ``"<dict>"``), used in messages.
    """

    def __init__(self, spec: StrategySpec, source: str = "<dict>") -> None:
        self.spec = spec
        self.source = source
        self._replay = PreOverlayReplay(lambda pit: base_portfolio(spec, pit)[0], self.rebalance_dates)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "<dict>", *, registry: Any = None) -> Strategy:
        """Validate a mapping as a strategy (``ConfigError`` naming ``source``, field path and allowed values).

        Numbers and booleans are strict (YAML ``yes`` is not 1).  Every asset the
        strategy names must be in ``registry`` (default: the project's registry),
        else a ``ConfigError`` names the field, the asset and the closest match.
        """
        if not isinstance(d, Mapping):
            raise ConfigError(f"{source}: a strategy must be a mapping of fields, got {type(d).__name__}")
        try:
            spec = StrategySpec.model_validate(_plain(dict(d)), strict=True)
        except ValidationError as exc:
            raise config_error(exc, StrategySpec, source) from None
        check_asset_names(spec, source, registry)
        return cls(spec, source)

    @classmethod
    def from_yaml(cls, path: str | Path, *, registry: Any = None) -> Strategy:
        """Load and validate a strategy file; ``name`` defaults to the file's stem."""
        from indexer.gate import load_yaml

        p = Path(path)
        doc = load_yaml(p, "strategy file", label="not valid YAML")
        if doc is None:
            raise ConfigError(f"strategy file {p}: holds only comments; expected at least universe: and optimiser:")
        if isinstance(doc, Mapping) and "name" not in doc:
            doc = {"name": p.stem, **doc}
        return cls.from_dict(doc, source=str(p), registry=registry)

    # -- StrategyLike -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The strategy's name (from its file)."""
        return self.spec.name

    @property
    def lookback(self) -> int:
        """Bars of history needed before the first decision (universe, risk window, signals, overlays)."""
        s = self.spec
        parts = [s.universe.min_history_days]
        if needs_returns(s):
            parts.append(s.estimation_window + 1)
        if s.signals is not None:
            parts.append(int(getattr(s.signals, "lookback", 0) or 0))
        parts.extend(int(o.lookback) for o in s.overlays)
        return max(parts)

    def prepare_data(self, data: MarketData) -> MarketData:
        """Return the data a backtest of this strategy runs on.

        With ``universe.missing_prices: snapshot_prices``, members lacking daily prices get step
        prices from the monthly snapshots (:func:`indexer.data.snapshot_prices.with_snapshot_prices`);
        otherwise ``data`` unchanged.
        """
        u = self.spec.universe
        if u.missing_prices != "snapshot_prices" or u.membership is None or not data.membership or u.membership not in data.membership:
            return data
        from indexer.data.snapshot_prices import with_snapshot_prices

        return with_snapshot_prices(data, u.membership, max_rank=2 * (u.top_n or 50) + 10)

    def rebalance_dates(self, index: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """Calendar decision bars of ``index`` (drift bands are the backtest's job, from ``spec.rebalance``)."""
        r = self.spec.rebalance
        return schedule_dates(index, r.every, r.weekday)

    def target(
        self, data: MarketData, as_of: Any, *, previous: pd.Series | None = None
    ) -> TargetPortfolio:
        """Return the portfolio to hold after the close of ``as_of`` (UTC), from ``data.until(as_of)`` only.

        Parameters
        ----------
        data
            Market data; rows after ``as_of`` are cut here, so they cannot leak.
        as_of
            Decision time (UTC; naive values are read as UTC).
        previous
            Weights held before the decision (incl. CASH), for buffers and turnover penalties.

        Returns
        -------
        TargetPortfolio
            Weights incl. CASH and diagnostics: universe (+ log), scores and
            contributions, optimiser diagnostics, overlays applied, compliance log.
        """
        t = to_utc(as_of)
        pit = data.until(t)
        if len(pit.close) == 0:
            raise DataError(f"strategy {self.name}: no data up to {t.isoformat()} (data starts {data.start.isoformat()})")
        spec = self.spec
        diag: dict[str, Any] = {"strategy": self.name, "data_as_of": pit.end.isoformat()}
        try:
            w, base_diag = base_portfolio(spec, pit, previous)
        except (OptimisationError, SignalError) as exc:
            err = type(exc)(f"strategy {self.name} at {t.isoformat()}: {exc}")
            err.__dict__.update(vars(exc))  # keep structured fields (e.g. UnreachableReturn.max_return)
            raise err from exc
        diag.update(base_diag)
        log = diag["universe_log"]
        if not diag["universe"]:
            if spec.empty_universe == "error":
                raise DataError(
                    f"strategy {self.name} at {t.isoformat()}: the universe is empty ({_why_empty(log)}); "
                    "set empty_universe: cash in the strategy to hold cash instead"
                )
            diag["note"] = "empty universe: 100% CASH (empty_universe: cash)"
            diag.update(overlays=[], exposure=0.0,
                        compliance_log=[e for e in log if e.get("rule") in COMPLIANCE_RULES])
            return TargetPortfolio(t, w, jsonable(diag))
        base = w.copy()

        applied = []
        octx = OverlayContext(data=pit, as_of=t, base_weights=base, previous=previous,
                              replay=lambda window: self._replay.curve(pit, window))
        for ov in spec.overlays:
            r = ov.apply(w, octx)
            w = r.weights
            applied.append(r.info)
        diag["overlays"] = applied
        labels = w.index.tolist()  # not w.get(CASH): hashing a new Arrow-backed string index costs more
        diag["exposure"] = float(1.0 - (w.to_numpy()[labels.index(CASH)] if CASH in labels else 0.0))

        comp_log = [e for e in log if e.get("rule") in COMPLIANCE_RULES]
        if spec.compliance is not None:
            w, caps_log = cap_kind_weights(w, spec.compliance.rules, pit.assets)
            comp_log.extend(caps_log)
            bad = check_weights(w, spec.compliance.profile, spec.compliance.rules, pit.assets)
            if bad:
                raise ComplianceError(f"strategy {self.name} at {t.isoformat()}: " + "; ".join(map(str, bad)))
        diag["compliance_log"] = comp_log
        return TargetPortfolio(t, w, jsonable(diag))

    def weight_caps(self, registry: Any = None) -> WeightCaps:
        """Return the caps this strategy puts on its weights (fractions of value), for execution to respect.

        Per asset: ``optimiser.constraints.max_weight`` / ``per_asset`` and the
        ``market_cap`` objective's ``max_weight``; per group: ``theme_caps`` and
        the compliance rule ``max_weight_per_kind`` (members from ``registry``,
        default the project's registry).
        """
        opt = self.spec.optimiser
        c = opt.constraints
        extra = opt.param("max_weight") if opt.objective == "market_cap" else None
        default = min(1.0 if c.max_weight is None else float(c.max_weight), 1.0 if extra is None else float(extra))
        per_asset = {a: min(float(b.max), 1.0 if extra is None else float(extra)) for a, b in c.per_asset.items()}
        kinds = dict(self.spec.compliance.rules.max_weight_per_kind) if self.spec.compliance is not None else {}
        groups: list[tuple[str, frozenset[str], float]] = []
        if c.theme_caps or kinds:
            if registry is None:
                from indexer.data.registry import default_registry

                registry = default_registry()
            groups += [(f"theme {t}", frozenset(registry.with_theme(t)), float(cap)) for t, cap in c.theme_caps.items()]
            groups += [(f"kind {k}", frozenset(s for s in registry if registry.kind(s) == k), float(cap))
                       for k, cap in kinds.items()]
        return WeightCaps(default, per_asset, tuple(groups))

    def check_compliance(self, weights: pd.Series | Mapping[str, float], registry: Any = None) -> list:
        """Violations of this strategy's compliance block by ``weights`` (incl. CASH); ``[]`` without one.

        For execution's pre-trade check, e.g.
        ``execute(..., compliance=lambda w: strategy.check_compliance(w, data.assets))``.
        ``registry`` defaults to the project's asset registry.
        """
        if self.spec.compliance is None:
            return []
        if registry is None:
            from indexer.data.registry import default_registry

            registry = default_registry()
        c = self.spec.compliance
        return check_weights(weights, c.profile, c.rules, registry)

    def __repr__(self) -> str:
        """Return the name and source file."""
        return f"Strategy({self.name!r}, source={self.source!r})"


def _why_empty(log: list[dict[str, Any]]) -> str:
    """``"12 excluded by min_history_days, 3 by kind"`` from a universe log."""
    from collections import Counter

    counts = Counter(str(e.get("rule", "?")) for e in log if e.get("action") == "excluded")
    if not counts:
        return "no asset has a price at this date"
    return "excluded: " + ", ".join(f"{n} by {rule}" for rule, n in counts.most_common())


def _plain(x: Any) -> Any:
    """NumPy scalars as Python ones (``np.int64(10)`` is an int to the strict schema; ``yes`` still is not)."""
    import numpy as np

    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x
