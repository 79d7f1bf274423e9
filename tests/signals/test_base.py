"""The Signal plug-in point: registry, dotted paths, error wrapping and output checks."""

from __future__ import annotations

import pandas as pd
import pytest

from indexer.exceptions import SignalError
from indexer.signals import Signal, available, get, register_signal
from indexer.signals import base as base_mod


class Broken(Signal):
    name = "broken"

    def compute(self, data):
        raise ZeroDivisionError("boom")


class WrongShape(Signal):
    name = "wrong_shape"

    def compute(self, data):
        return data.close.iloc[:-1]


class ExtraColumn(Signal):
    name = "extra_column"

    def compute(self, data):
        return data.close.assign(ZZZ=1.0)


def test_errors_are_wrapped_and_name_the_signal(news_slice) -> None:
    with pytest.raises(SignalError, match=r"signal Broken\(\) failed: ZeroDivisionError: boom"):
        Broken()(news_slice)
    with pytest.raises(SignalError, match="output index .* differs from close's"):
        WrongShape()(news_slice)
    with pytest.raises(SignalError, match=r"extra \['ZZZ'\]"):
        ExtraColumn()(news_slice)


def test_unknown_names_list_the_allowed_ones() -> None:
    with pytest.raises(SignalError, match="unknown signal 'momentm'; allowed: active_address_growth, amihud"):
        get("momentm")
    with pytest.raises(SignalError, match="cannot import 'Nope' from 'indexer.signals.momentum'"):
        get("indexer.signals.momentum.Nope")
    with pytest.raises(SignalError, match="is not a Signal subclass"):
        get("pandas.DataFrame")


def test_register_and_dotted_path(news_slice) -> None:
    try:

        @register_signal("test_double_momentum")
        class Double(Signal):
            def __init__(self, horizon: int = 5) -> None:
                self.horizon = horizon

            def compute(self, data):
                return 2.0 * get("momentum", horizon=self.horizon)(data)

        assert "test_double_momentum" in available()
        out = get("test_double_momentum", horizon=7)(news_slice)
        pd.testing.assert_frame_equal(out, 2.0 * get("momentum", horizon=7)(news_slice))
        with pytest.raises(SignalError, match="already registered"):
            register_signal("test_double_momentum")(Broken)
    finally:
        base_mod._REGISTRY.pop("test_double_momentum", None)
    assert get("indexer.signals.momentum.Momentum", horizon=3).horizon == 3
    assert repr(get("momentum")) == "Momentum(horizon=30, skip=0, mode='cross_sectional')"
