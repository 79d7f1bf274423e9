"""Point-in-time views: the positional cut equals the label/mask cut; a view cut at its own end is itself."""

from __future__ import annotations

import pickle
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from indexer.data import MarketData
from indexer.data.market import BarSlice, Sentiment


def _same(a: MarketData, b: MarketData) -> None:
    pd.testing.assert_frame_equal(a.close, b.close)
    pd.testing.assert_frame_equal(a.volume, b.volume)
    pd.testing.assert_frame_equal(a.market_cap, b.market_cap)
    assert list(a.metrics) == list(b.metrics)
    for k in a.metrics:
        pd.testing.assert_frame_equal(a.metrics[k], b.metrics[k])
    pd.testing.assert_series_equal(a.sentiment.index, b.sentiment.index)
    pd.testing.assert_frame_equal(a.sentiment.texts, b.sentiment.texts)
    assert list(a.membership) == list(b.membership)
    for k in a.membership:
        pd.testing.assert_frame_equal(a.membership[k], b.membership[k])


@pytest.mark.parametrize("when", ["2017-01-01", "2019-03-15", "2021-06-30T12:00", "2023-05-01", "2030-01-01"])
def test_until_equals_the_label_and_mask_cut(reference, when: str) -> None:
    t = pd.Timestamp(when, tz="UTC")
    view = reference.until(t)
    _same(view, reference._until_masked(t))
    assert len(view.close) == int((reference.close.index <= t).sum())
    assert (view is reference if t >= reference.end else isinstance(view.metrics, BarSlice))
    assert len(view.metrics) == len(reference.metrics)
    assert (view.sentiment.texts["timestamp"] <= t).all()


def test_a_view_cut_at_its_end_is_itself_and_cuts_compose(reference) -> None:
    t = reference.index[1500]
    view = reference.until(t)
    assert view.until(t) is view and view.until(t + pd.Timedelta(days=3)) is view
    earlier = reference.index[900]
    _same(view.until(earlier), reference.until(earlier))
    sub = view.bars(100, 400)
    pd.testing.assert_frame_equal(sub.metrics["CapMrktCurUSD"], reference.metrics["CapMrktCurUSD"].iloc[100:400])


def test_unsorted_texts_and_membership_are_cut_by_mask(reference) -> None:
    texts = reference.sentiment.texts.iloc[::-1]
    memb = {k: m.iloc[::-1] for k, m in reference.membership.items()}
    shuffled = replace(reference, sentiment=Sentiment(reference.sentiment.index, texts), membership=memb)
    t = pd.Timestamp("2022-03-01", tz="UTC")
    got = shuffled.until(t)
    assert (got.sentiment.texts["timestamp"] <= t).all()
    assert len(got.sentiment.texts) == int((texts["timestamp"] <= t).sum())
    for k, m in got.membership.items():
        assert len(m) == int((memb[k]["known_from"] <= t).sum())


def _tiny(text_times: list) -> MarketData:
    idx = pd.date_range("2024-01-01", periods=5, tz="UTC", name="timestamp")
    close = pd.DataFrame({"AAA": np.arange(1.0, 6.0)}, index=idx)
    texts = pd.DataFrame({"timestamp": pd.to_datetime(text_times, utc=True), "text": list("abcdefg"[: len(text_times)]),
                          "assets": [("AAA",)] * len(text_times)})  # fmt: skip
    return MarketData(close=close, sentiment=Sentiment(texts=texts))


def test_data_is_its_own_view_only_when_nothing_in_it_is_later() -> None:
    inside = _tiny(["2024-01-02", "2024-01-05"])
    assert inside.until("2024-01-05") is inside
    later = _tiny(["2024-01-02", "2024-01-07"])  # a text after the last bar
    view = later.until("2024-01-05")
    assert view is not later and list(view.sentiment.texts["text"]) == ["a"]
    undated = _tiny(["2024-01-02", None])
    view = undated.until("2024-01-05")
    assert view is not undated and list(view.sentiment.texts["text"]) == ["a"]  # an undated text is never known


def test_views_pickle_as_plain_dicts_of_panels(reference) -> None:
    view = reference.until("2020-06-30")
    back = pickle.loads(pickle.dumps(view))
    assert isinstance(back.metrics, dict)
    _same(view, back)
