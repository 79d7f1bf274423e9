"""indexer.signals: signal plug-ins, normalisation, blends and the strategy-facing ``score``.

``available()`` lists the registered signals; ``get(name, **params)`` builds
one; a signal called on :class:`~indexer.data.MarketData` returns a panel
aligned to ``data.close`` (row t uses data up to the close of t; higher = more
attractive).  ``score(data, spec, assets)`` blends them at the last bar;
``cross_sectional_report`` / ``time_series_report`` evaluate a spec's signals
over the history (the tables behind ``indexer signals report``).
"""

from __future__ import annotations

from indexer.signals import liquidity, market_regime, momentum, onchain, sentiment  # noqa: F401  (register signals)
from indexer.signals.base import Signal, available, get, register_signal, signal_class
from indexer.signals.blend import blend_panel, fixed_blend, forward_returns, normalised_panels, signal_panels
from indexer.signals.evaluate import ic_decay, ic_series, ic_summary, quantile_spread, signal_turnover, ts_ic
from indexer.signals.market_regime import fear_greed, risk_on
from indexer.signals.normalise import NORMALISERS, cs_rank, cs_zscore, normalise, ts_zscore, winsorise
from indexer.signals.report import cross_sectional_report, default_spec, time_series_report
from indexer.signals.score import ScoreResult, score
from indexer.signals.spec import ModelSpec, ScoringSpec, SignalSpec

__all__ = [
    "Signal",
    "register_signal",
    "available",
    "get",
    "signal_class",
    "SignalSpec",
    "ModelSpec",
    "ScoringSpec",
    "ScoreResult",
    "score",
    "signal_panels",
    "normalised_panels",
    "fixed_blend",
    "blend_panel",
    "forward_returns",
    "NORMALISERS",
    "normalise",
    "cs_zscore",
    "cs_rank",
    "ts_zscore",
    "winsorise",
    "fear_greed",
    "risk_on",
    "ic_series",
    "ic_summary",
    "ic_decay",
    "ts_ic",
    "quantile_spread",
    "signal_turnover",
    "default_spec",
    "cross_sectional_report",
    "time_series_report",
]
