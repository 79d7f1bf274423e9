"""Text models and the asset registry live in the run cache (not in process-global variables)."""

from __future__ import annotations

import os

from indexer.data.registry import REGISTRY_FILE, default_registry
from indexer.models import cached_text_model
from indexer.runcache import RunCache


def test_text_models_are_kept_per_run_cache(reference) -> None:
    texts = reference.sentiment.texts.dropna(subset=["label"]).iloc[:600]
    t, y = texts["text"].tolist(), texts["label"].tolist()
    with RunCache() as a:
        m1 = cached_text_model(t, y)
        assert cached_text_model(t, y) is m1
        assert a.info()["models.text"] == {"entries": 1, "hits": 1, "misses": 1}
        other = cached_text_model(t[:500], y[:500])  # another training set: another model
        assert other is not m1 and a.info()["models.text"]["entries"] == 2
    with RunCache() as b:  # a new block starts empty (the model comes back from the joblib store on disk)
        m2 = cached_text_model(t, y)
        assert m2 is not m1 and b.info()["models.text"]["misses"] == 1
    assert (m1.predict_proba(["bitcoin rally"]) == m2.predict_proba(["bitcoin rally"])).all()
    with RunCache(parent=b, shared=("models.text",)) as child:  # a run inside a session shares the session's
        assert cached_text_model(t, y) is m2 and "models.text" not in child.info()


def test_registry_is_read_once_per_cache_and_file_version() -> None:
    with RunCache() as a:
        r1 = default_registry()
        assert default_registry() is r1 and a.info()["data.registry"]["entries"] == 1
        st = REGISTRY_FILE.stat()
        os.utime(REGISTRY_FILE, ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # the file changed: read again
        try:
            r2 = default_registry()
        finally:
            os.utime(REGISTRY_FILE, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert r2 is not r1 and list(r2) == list(r1)
        assert default_registry() is r1  # the original version again: still cached
    with RunCache():
        assert default_registry() is not r1
