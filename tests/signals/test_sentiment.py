"""News sentiment panel and Fear & Greed regime helpers, by hand on the real reference texts and index."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from indexer.data import MarketData, Sentiment
from indexer.models import fit_text_model
from indexer.signals import fear_greed, get, risk_on
from indexer.signals.sentiment import score_texts

T = pd.Timestamp("2023-02-20", tz="UTC")


def test_text_scores_use_only_earlier_labels(news_slice) -> None:
    texts = news_slice.sentiment.texts
    scores = score_texts(texts, refit_days=30, label_delay=7, min_train=500)
    # the period holding T: refit date on the 30-day grid from 1970-01-01
    day = (T - pd.Timestamp("1970-01-01", tz="UTC")).days
    refit = pd.Timestamp("1970-01-01", tz="UTC") + pd.Timedelta(days=day // 30 * 30)
    train = texts[(texts["timestamp"] < refit - pd.Timedelta(days=7)) & texts["label"].notna()]  # unlabelled news is scored, not trained on
    model = fit_text_model(train["text"].tolist(), train["label"].astype(int).tolist())
    batch = texts[(texts["timestamp"] >= refit) & (texts["timestamp"] < refit + pd.Timedelta(days=30))]
    expected = model.predict_proba(batch["text"].tolist())[:, 1] - 0.5
    np.testing.assert_allclose(scores.loc[batch.index].to_numpy(), expected, rtol=1e-10)
    # before min_train labelled texts exist, nothing is scored
    first = texts["timestamp"].min()
    assert scores[texts["timestamp"] < first + pd.Timedelta(days=7)].isna().all()


def test_news_sentiment_decayed_mean_by_hand(news_slice) -> None:
    texts = news_slice.sentiment.texts
    scores = score_texts(texts)
    btc = texts[texts["assets"].map(lambda a: "BTC" in a) & (texts["timestamp"] <= T) & scores.notna()]
    age = (T - btc["timestamp"]).dt.days.to_numpy()
    w = 0.5 ** (age / 3.0)
    expected = float((scores.loc[btc.index].to_numpy() * w).sum() / w.sum())
    got = get("news_sentiment", halflife=3.0)(news_slice).loc[T, "BTC"]
    assert got == pytest.approx(expected, rel=1e-9)
    vol = get("news_volume", window=7)(news_slice).loc[T, "BTC"]
    n = int(((btc["timestamp"] > T - pd.Timedelta(days=7))).sum())
    n_all = int((texts["assets"].map(lambda a: "BTC" in a) & (texts["timestamp"] > T - pd.Timedelta(days=7)) & (texts["timestamp"] <= T)).sum())
    assert n == n_all and vol == pytest.approx(np.log1p(n_all))


def test_news_sentiment_nan_without_recent_news(news_slice) -> None:
    panel = get("news_sentiment", max_age=14)(news_slice)
    assert panel.loc[:"2022-10-13"].isna().all().all()  # before the first article
    assert panel.loc["2023-06-20":].isna().all().all()  # more than 14 days after the last (2023-05-31)
    assert panel["BCH"].notna().sum() < panel["BTC"].notna().sum()


def test_fear_greed_reads_the_index_and_smooths(news_slice, shared_data) -> None:
    raw = pd.read_csv(shared_data / "crypto_fear_greed_index.csv")
    raw["day"] = pd.to_datetime(raw["date"], utc=True)
    raw = raw.set_index("day").sort_index()["value"].astype(float)
    fg = fear_greed(news_slice)
    assert fg.loc[T] == raw.loc[T]
    sm = fear_greed(news_slice, smoothing=7)
    assert sm.loc[T] == pytest.approx(raw.loc[:T].iloc[-7:].mean())
    sig = get("fear_greed", smoothing=1)(news_slice).loc[T]
    assert (sig.dropna() == (raw.loc[T] - 50) / 50).all()
    assert get("fear_greed", smoothing=1, contrarian=True)(news_slice).loc[T, "BTC"] == -sig["BTC"]


def test_risk_on_hysteresis() -> None:
    idx = pd.date_range("2024-01-01", periods=8, freq="D", tz="UTC", name="timestamp")
    close = pd.DataFrame({"BTC": 1.0}, index=idx).rename_axis(columns="asset")
    vals = pd.Series([50, 20, 30, 40, 50, 30, 10, 60], index=idx, dtype=float)
    data = MarketData(close=close, sentiment=Sentiment(index=vals))
    got = risk_on(data, fear_below=25, recover_above=45, smoothing=1).tolist()
    assert got == [True, False, False, False, True, True, False, True]


def test_fear_greed_stale_readings_are_nan(news_slice) -> None:
    idx = news_slice.sentiment.index
    gap = replace(news_slice, sentiment=Sentiment(index=idx.drop(idx.loc["2023-01-01":"2023-01-10"].index), texts=None))
    fg = fear_greed(gap, max_stale_days=3)
    assert np.isnan(fg.loc["2023-01-05"]) and not np.isnan(fg.loc["2023-01-02"])
