"""``load_dotted``: the one loader behind objective, signal and custom-constraint dotted paths."""

from __future__ import annotations

import pytest

from indexer.dotted import DottedPathError, load_dotted
from indexer.exceptions import ConfigError, SignalError


def test_loads_the_named_object() -> None:
    assert load_dotted("indexer.dotted.load_dotted") is load_dotted


@pytest.mark.parametrize("path, needle", [("nodots", "give a dotted path"),
                                          ("nosuch.module.fn", "cannot import 'fn' from 'nosuch.module'"),
                                          ("indexer.dotted.missing", "cannot import 'missing' from 'indexer.dotted'")])  # fmt: skip
def test_says_what_failed(path: str, needle: str) -> None:
    with pytest.raises(DottedPathError, match=needle):
        load_dotted(path)


def test_callers_keep_their_own_error_types() -> None:
    from indexer.optimiser.objectives import objective
    from indexer.signals.base import signal_class

    with pytest.raises(ConfigError, match=r"objective 'nosuch\.mod\.obj': cannot import 'obj' from 'nosuch\.mod'"):
        objective("nosuch.mod.obj")
    with pytest.raises(SignalError, match=r"signal 'indexer\.dotted\.nothing': cannot import 'nothing'"):
        signal_class("indexer.dotted.nothing")
