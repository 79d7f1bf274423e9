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


class _Trailing(Signal):
    last_row_extra = 2

    def __init__(self, window: int = 5) -> None:
        self.window = window

    @property
    def lookback(self) -> int:
        return self.window

    def compute(self, data):  # noqa: ANN001, ANN201
        return data.close.rolling(self.window + 2, min_periods=self.window + 2).mean()


def test_last_row_window_is_lookback_plus_extra(news_slice) -> None:
    assert Signal().last_row_window is None  # whole history unless a class says otherwise
    sig = _Trailing(window=5)
    assert sig.last_row_window == 7
    # the declared window is enough: the last row from 7 bars equals the one from the whole history
    pd.testing.assert_series_equal(sig.last(news_slice), sig(news_slice).iloc[-1])
    assert get("momentum", horizon=10, skip=3).last_row_window == 14
    assert get("nvt", smooth=5, ffill_limit=2).last_row_window == 7
    assert get("tx_count_growth", window=10, smooth=3, ffill_limit=1).last_row_window == 14
