"""Text sentiment model: held-out metrics vs the majority baseline, versioned joblib store."""

from __future__ import annotations

import joblib
import pytest

from indexer.exceptions import DataError
from indexer.models import cached_text_model, evaluate_text_model, load_model, models_dir, save_model
from indexer.models.model_store import STORE_VERSION


def test_beats_majority_baseline_on_macro_f1(reference) -> None:
    texts = reference.sentiment.texts
    ev = evaluate_text_model(texts, test_fraction=0.2, gap_days=7)
    assert ev.n_train > 5000 and ev.n_test > 1000
    assert ev.train_end < ev.test_start  # time-ordered split with a gap
    # measured: macro-F1 0.49 vs 0.34 for always predicting the majority class
    assert ev.macro_f1 - ev.baseline_macro_f1 >= 0.10
    # accuracy is about the baseline's (~0.50 vs 0.52): news wording barely predicts the next move; reported, not hidden
    assert abs(ev.accuracy - ev.baseline_accuracy) < 0.08


def test_store_round_trip_and_version_stamp(reference, tmp_path) -> None:
    texts = reference.sentiment.texts.dropna(subset=["label"]).iloc[:800]  # the price-momentum-labelled texts
    m1 = cached_text_model(texts["text"].tolist(), texts["label"].tolist())
    files = list(models_dir().glob(f"text-sentiment-v{STORE_VERSION}-*.joblib"))
    assert files, "the fitted model is stored under data_dir()/models"
    payload = joblib.load(files[0])
    assert payload["stamp"]["version"] == STORE_VERSION and "sklearn" in payload["stamp"]
    m2 = cached_text_model(texts["text"].tolist(), texts["label"].tolist())
    assert (m1.predict_proba(["bitcoin rally"]) == m2.predict_proba(["bitcoin rally"])).all()
    # a file with a foreign stamp is a miss (refit), never silently used
    save_model({"not": "a model"}, "demo", "k1", tmp_path)
    p = tmp_path / f"demo-v{STORE_VERSION}-k1.joblib"
    joblib.dump({"stamp": {"kind": "demo", "version": "0", "sklearn": "0", "key": "k1"}, "model": 1}, p)
    assert load_model("demo", "k1", tmp_path) is None
    p.write_bytes(b"garbage")
    assert load_model("demo", "k1", tmp_path) is None


def test_bad_labels_are_named() -> None:
    from indexer.models import fit_text_model

    with pytest.raises(DataError, match="label of text 1 is missing"):
        fit_text_model(["a b", "c d"], [1, None])
    with pytest.raises(DataError, match="single class"):
        fit_text_model(["a b", "c d"], [1, 1])
