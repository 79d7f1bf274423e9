"""Text sentiment model: TF-IDF + logistic regression on dated, labelled news.

The labels of the reference news are the *price momentum that followed each
article* (1 = up, 0 = down, as labelled by the data set's authors), not human
sentiment: the model's probability is "how often news worded like this was
followed by rising prices".  Evaluation splits by time (train on the earlier
articles, test on the later ones, with a gap between) and compares with the
majority-class baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import Pipeline

from indexer.exceptions import DataError
from indexer.models.model_store import content_key, load_or_fit
from indexer.runcache import active

__all__ = ["make_text_pipeline", "fit_text_model", "cached_text_model", "text_model_key", "TextEvaluation", "evaluate_text_model"]

KIND = "text-sentiment"
#: Run-cache bucket of fitted text models, keyed by the content of their training set and parameters.
_BUCKET = "models.text"


def make_text_pipeline(*, C: float = 1.0, max_features: int = 20000, min_df: int = 2, ngram_max: int = 1) -> Pipeline:
    """Unfitted ``TfidfVectorizer(1..ngram_max-grams, sublinear tf) -> LogisticRegression(C, balanced classes)``."""
    return Pipeline(
        [
            ("tfidf", TfidfVectorizer(ngram_range=(1, ngram_max), min_df=min_df, max_features=max_features, sublinear_tf=True)),
            ("clf", LogisticRegression(C=C, solver="liblinear", class_weight="balanced")),
        ]
    )


def _check(texts: Sequence[str], labels: Sequence[Any]) -> tuple[list[str], np.ndarray]:
    t = ["" if (x is None or (isinstance(x, float) and np.isnan(x))) else str(x) for x in texts]
    y = pd.to_numeric(pd.Series(list(labels)), errors="coerce")
    if len(t) != len(y):
        raise DataError(f"text model: {len(t)} texts but {len(y)} labels")
    if y.isna().any():
        raise DataError(f"text model: label of text {int(np.flatnonzero(y.isna())[0])} is missing; expected 0/1")
    if len(np.unique(y)) < 2:
        raise DataError("text model: training labels hold a single class; need both 0 and 1")
    return t, y.to_numpy(dtype=int)


def fit_text_model(texts: Sequence[str], labels: Sequence[Any], **params: Any) -> Pipeline:
    """Fit :func:`make_text_pipeline` on ``texts`` with 0/1 ``labels``."""
    t, y = _check(texts, labels)
    return make_text_pipeline(**params).fit(t, y)


def text_model_key(texts: Sequence[str], labels: Sequence[Any], **params: Any) -> str:
    """Content key of a text model: hash of the training texts, labels and parameters (no validation)."""
    return content_key(sorted(params.items()), list(texts), [int(v) for v in labels])


def cached_text_model(texts: Sequence[str], labels: Sequence[Any], **params: Any) -> Pipeline:
    """Fit a text model like :func:`fit_text_model`, kept in the run cache and on disk.

    Kept in the ``models.text`` bucket of :func:`indexer.runcache.active` and stored with joblib under
    ``data_dir()/models``.

    The key is the content of the training set and the parameters, so a
    model is fitted once per distinct training set and reused afterwards.
    """
    t, y = _check(texts, labels)
    key = text_model_key(t, y.tolist(), **params)
    return active().get_or_make(_BUCKET, key, lambda: load_or_fit(KIND, key, lambda: make_text_pipeline(**params).fit(t, y)))


@dataclass(frozen=True)
class TextEvaluation:
    """Held-out scores of the text model (fractions) against the majority-class baseline."""

    n_train: int
    n_test: int
    train_end: str
    test_start: str
    accuracy: float
    macro_f1: float
    baseline_accuracy: float
    baseline_macro_f1: float
    majority_class: int

    @property
    def accuracy_margin(self) -> float:
        """Accuracy minus the baseline's (fraction)."""
        return self.accuracy - self.baseline_accuracy

    def to_dict(self) -> dict[str, Any]:
        """Return the fields and ``accuracy_margin`` as a dict."""
        return {**asdict(self), "accuracy_margin": self.accuracy_margin}


def evaluate_text_model(
    texts: pd.DataFrame, *, test_fraction: float = 0.2, gap_days: int = 7, **params: Any
) -> TextEvaluation:
    """Time-ordered held-out evaluation.

    Parameters
    ----------
    texts
        Columns ``timestamp`` (UTC day), ``text``, ``label`` (0/1).
    test_fraction
        Share of the latest days' articles held out (fraction).
    gap_days
        Articles in the ``gap_days`` before the first test day are dropped from
        training, so no training label (momentum *after* the article) overlaps
        the test period.
    """
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"test_fraction must be in (0, 1); got {test_fraction}")
    df = texts.dropna(subset=["label"]).sort_values("timestamp", kind="stable")
    if len(df) < 20:
        raise DataError(f"text model evaluation needs at least 20 labelled texts; got {len(df)}")
    test_start = df["timestamp"].iloc[int(len(df) * (1.0 - test_fraction))]
    train = df[df["timestamp"] < test_start - pd.Timedelta(days=gap_days)]
    test = df[df["timestamp"] >= test_start]
    model = fit_text_model(train["text"].tolist(), train["label"].tolist(), **params)
    y_test = test["label"].astype(int).to_numpy()
    pred = model.predict(test["text"].tolist())
    majority = int(pd.Series(train["label"].astype(int)).mode().iloc[0])
    base = np.full_like(y_test, majority)
    return TextEvaluation(
        n_train=len(train),
        n_test=len(test),
        train_end=str(train["timestamp"].max().date()),
        test_start=str(test_start.date()),
        accuracy=float(accuracy_score(y_test, pred)),
        macro_f1=float(f1_score(y_test, pred, average="macro")),
        baseline_accuracy=float(accuracy_score(y_test, base)),
        baseline_macro_f1=float(f1_score(y_test, base, average="macro")),
        majority_class=majority,
    )
