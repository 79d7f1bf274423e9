"""indexer.models: scikit-learn estimators behind the signals (walk-forward ML blend, text sentiment model).

Pure estimators on arrays/frames; the signals layer builds their features.
Fitted text models are stored with joblib under ``indexer.config.data_dir()/models``.
"""

from __future__ import annotations

from indexer.models.model_store import STORE_VERSION, content_key, load_model, load_or_fit, models_dir, save_model
from indexer.models.text import (
    TextEvaluation,
    cached_text_model,
    evaluate_text_model,
    fit_text_model,
    make_text_pipeline,
    text_model_key,
)
from indexer.models.walkforward import (
    ESTIMATORS,
    WalkForwardRegressor,
    contributions,
    make_estimator,
    refit_date,
    training_mask,
)

__all__ = [
    "STORE_VERSION",
    "models_dir",
    "content_key",
    "save_model",
    "load_model",
    "load_or_fit",
    "make_text_pipeline",
    "fit_text_model",
    "cached_text_model",
    "text_model_key",
    "evaluate_text_model",
    "TextEvaluation",
    "ESTIMATORS",
    "make_estimator",
    "refit_date",
    "training_mask",
    "contributions",
    "WalkForwardRegressor",
]
