"""The flagship with its walk-forward ML blend: what the ML-path tests and benchmarks run.

``strategies/ai_index.yaml`` uses a fixed blend since its re-design on 2017-2022 evidence (the ridge
blend lost under combinatorial purged CV). The incremental-ML tests, the research-loop benchmarks and
the ML sweep need the model path, so they run the same file with the pre-re-design blend: the news
text-sentiment signal added and the ridge model of the previous flagship (730-day window, refit every
30 days, 30-day purge, 200 rows before the first fit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from indexer.strategy import Strategy

REPO = Path(__file__).resolve().parents[1]
RIDGE = {"type": "ridge", "horizon": 30, "train_window": 730, "refit_every": 30, "purge": 30, "min_train": 200,
         "sample_every": 5}


def ai_index_ml_doc(every: str | None = None) -> dict[str, Any]:
    """``ai_index.yaml`` as a dict with the ridge model and the news text-sentiment signal (see module docstring)."""
    doc = yaml.safe_load((REPO / "strategies" / "ai_index.yaml").read_text())
    doc["name"] = "ai_index_ml"
    doc["signals"]["signals"].append({"name": "news_sentiment", "weight": 0.5, "on_stale": "drop"})
    doc["signals"]["model"] = dict(RIDGE)
    if every is not None:
        doc["rebalance"] = {"every": every}
    return doc


def ai_index_ml(every: str | None = None) -> Strategy:
    """The flagship with the walk-forward ridge blend (see module docstring)."""
    return Strategy.from_dict(ai_index_ml_doc(every), source=f"ai_index + ridge ({every or 'monthly'})")
