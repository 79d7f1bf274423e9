"""News sentiment done properly: which labels, which baselines, coverage, and IC only where there is news.

Label sets (each model says which one it learns):

``momentum``
    ``news/`` price-momentum labels (0/1, the momentum that followed the
    article, labelled by the data set's authors); 8,113 texts 2022-10..2023-05.
``textblob``
    The crypto-news set's automatic TextBlob class, positive = 1 / negative = 0
    (neutral dropped); a lexicon's opinion, not ground truth; 2021-10..2022-07.
``forward_return``
    Every dated text (all ~17,900, 2021-01..2023-05) labelled 1 when the mean
    ``horizon``-day return of its tagged assets (BTC for untagged texts) from the
    close of its day was positive; known ``horizon`` days later, so walk-forward
    training waits ``label_delay >= horizon`` days.

:func:`holdout_table` compares, on a time-ordered hold-out (latest 20 % of each
label set's days, 7-day gap): TF-IDF + logistic regression trained on that
label set, VADER (``vaderSentiment``, which ships its lexicon: compound > 0 ->
1, a 0 compound takes the training majority) and the majority class.
:func:`news_panels` builds walk-forward daily per-asset sentiment panels (the
``news_sentiment`` aggregation); :func:`news_ic` measures IC only on asset-days
with news; :func:`coverage_table` reports where that is.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexer.exceptions import DataError
from indexer.research.stats import newey_west_mean
from indexer.signals.evaluate import ic_series, ts_ic
from indexer.signals.sentiment import daily_asset_sums, score_texts

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["LABEL_SETS", "forward_return_labels", "label_sets", "vader_scores", "holdout_table", "news_panels", "news_ic", "coverage_table"]

LABEL_SETS = {
    "momentum": "news/ price-momentum labels (authors' 0/1 momentum after the article)",
    "textblob": "crypto-news TextBlob class (automatic lexicon label; positive=1, negative=0, neutral dropped)",
    "forward_return": "sign of the tagged assets' (else BTC's) 7-day return after the text's day, from our prices (all news)",
}


def forward_return_labels(texts: pd.DataFrame, close: pd.DataFrame, horizon: int = 7) -> pd.Series:
    """1/0 when the mean ``horizon``-day forward return of a text's tagged assets (BTC if none) is >0/<=0; NaN if unknown.

    The return runs from the close of the text's UTC day to ``horizon`` days later (fraction).
    """
    fwd = close.shift(-horizon) / close - 1.0
    pos = close.index.searchsorted(texts["timestamp"].to_numpy())
    cols = {c: i for i, c in enumerate(close.columns)}
    f = fwd.to_numpy()
    out = np.full(len(texts), np.nan)
    for k, (p, assets) in enumerate(zip(pos, texts["assets"], strict=True)):
        if p >= len(close.index):
            continue
        idx = [cols[a] for a in assets if a in cols] or ([cols["BTC"]] if "BTC" in cols else [])
        vals = f[p, idx] if idx else np.array([])
        vals = vals[np.isfinite(vals)]
        if len(vals):
            out[k] = float(vals.mean() > 0)
    return pd.Series(out, index=texts.index, name="forward_return")


def label_sets(texts: pd.DataFrame, close: pd.DataFrame, horizon: int = 7) -> dict[str, pd.Series]:
    """Return the three label series of :data:`LABEL_SETS`, aligned to ``texts`` (NaN = no label)."""
    tb = texts["textblob"] if "textblob" in texts.columns else pd.Series(None, index=texts.index, dtype=object)
    return {
        "momentum": texts["label"].astype("float64") if "label" in texts.columns else pd.Series(np.nan, index=texts.index),
        "textblob": tb.map({"positive": 1.0, "negative": 0.0}).astype("float64"),
        "forward_return": forward_return_labels(texts, close, horizon),
    }


def vader_scores(texts: pd.DataFrame) -> pd.Series:
    """VADER compound score (-1..1) of every text (lexicon shipped with ``vaderSentiment``; no download)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    return pd.Series([sia.polarity_scores(str(t))["compound"] for t in texts["text"]], index=texts.index, name="vader")


def _scores(y: np.ndarray, pred: np.ndarray, score: np.ndarray | None) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    auc = float(roc_auc_score(y, score)) if score is not None and len(np.unique(y)) == 2 else 0.5
    return {"accuracy": float(accuracy_score(y, pred)), "macro_f1": float(f1_score(y, pred, average="macro")), "auc": auc}


def holdout_table(texts: pd.DataFrame, labels: dict[str, pd.Series], vader: pd.Series, *,
                  test_fraction: float = 0.2, gap_days: int = 7) -> pd.DataFrame:
    """Per label set: TF-IDF + logistic regression vs VADER vs majority class on a time-ordered hold-out.

    Returns rows indexed by (labels, model) with accuracy, macro_f1, auc (fractions), n_train, n_test, train, test periods.
    """
    from indexer.models.text import fit_text_model

    rows = {}
    for name, lab in labels.items():
        df = texts.assign(y=lab, vader=vader).dropna(subset=["y"]).sort_values("timestamp", kind="stable")
        if len(df) < 100 or df["y"].nunique() < 2:
            continue
        test_start = df["timestamp"].iloc[int(len(df) * (1.0 - test_fraction))]
        train = df[df["timestamp"] < test_start - pd.Timedelta(days=gap_days)]
        test = df[df["timestamp"] >= test_start]
        y, ytr = test["y"].astype(int).to_numpy(), train["y"].astype(int).to_numpy()
        majority = int(pd.Series(ytr).mode().iloc[0])
        model = fit_text_model(train["text"].tolist(), ytr)
        proba = model.predict_proba(test["text"].tolist())[:, 1]
        v = test["vader"].to_numpy()
        vpred = np.where(v > 0, 1, np.where(v < 0, 0, majority))
        base = {"n_train": len(train), "n_test": len(test), "train": f"{train['timestamp'].min():%Y-%m-%d}..{train['timestamp'].max():%Y-%m-%d}",
                "test": f"{test_start:%Y-%m-%d}..{test['timestamp'].max():%Y-%m-%d}", "test_share_1": float(y.mean())}
        rows[(name, "tfidf_logreg")] = {**_scores(y, (proba > 0.5).astype(int), proba), **base}
        rows[(name, "vader_lexicon")] = {**_scores(y, vpred, v), **base}
        rows[(name, "majority_class")] = {**_scores(y, np.full_like(y, majority), None), **base}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(out.index, names=["labels", "model"])
    return out


def _aggregate(texts: pd.DataFrame, scores: pd.Series, data: MarketData, halflife: float = 3.0, max_age: int = 14) -> pd.DataFrame:
    """Return the ``news_sentiment`` aggregation: decayed mean of text scores per asset-day, NaN without news in ``max_age`` days."""
    sums, counts = daily_asset_sums(texts, scores, data.close.index, data.close.columns)
    es, ec = sums.ewm(halflife=halflife).mean(), counts.ewm(halflife=halflife).mean()
    recent = counts.rolling(max_age, min_periods=1).sum() > 0
    return (es / ec.where(ec > 0)).where(recent)


def news_panels(data: MarketData, labels: dict[str, pd.Series], vader: pd.Series, *, label_delay: int = 7) -> dict[str, pd.DataFrame]:
    """Walk-forward sentiment panel per label set (text model refitted every 30 days) plus the VADER panel."""
    texts = data.sentiment.texts
    if texts is None:
        raise DataError("news_panels: data.sentiment.texts is None; expected the dated news texts")
    out = {}
    for name, lab in labels.items():
        scores = score_texts(texts.assign(label=lab), refit_days=30, label_delay=label_delay, min_train=500)
        out[f"tfidf[{name}]"] = _aggregate(texts, scores, data)
    out["vader"] = _aggregate(texts, vader, data)
    return out


def coverage_table(panel: pd.DataFrame, texts: pd.DataFrame, data: MarketData, top: int = 12) -> pd.DataFrame:
    """Per asset (most-covered first): texts tagged, days with a text, share of news-span days with a sentiment value."""
    span = data.close.index[(data.close.index >= texts["timestamp"].min()) & (data.close.index <= texts["timestamp"].max())]
    tagged = texts.explode("assets").dropna(subset=["assets"])
    rows = {}
    for a in data.symbols:
        t = tagged[tagged["assets"] == a]
        if len(t) == 0:
            continue
        rows[a] = {"texts": len(t), "days_with_text": int(t["timestamp"].nunique()),
                   "share_days_with_value": float(panel.loc[span, a].notna().mean()) if len(span) else np.nan}
    out = pd.DataFrame.from_dict(rows, orient="index").sort_values("texts", ascending=False).head(top)
    out.index.name = "asset"
    return out


def news_ic(panels: dict[str, pd.DataFrame], close: pd.DataFrame, *, horizon: int = 7, min_assets: int = 3) -> pd.DataFrame:
    """IC only where there is news: cross-sectional IC over assets with a value (NW t, 95 % CI), and BTC's time-series IC."""
    rows = {}
    for name, p in panels.items():
        ic = ic_series(p, close, horizon, min_assets=min_assets)
        r = newey_west_mean(ic, horizon)
        b = ts_ic(p["BTC"], close["BTC"], horizon) if "BTC" in p.columns else {"ic": np.nan, "p_value": np.nan, "n": 0}
        rows[name] = {"xsIC": r["mean"], "t_NW": r["t"], "ci_lo": r["lo"], "ci_hi": r["hi"], "days": int(ic.notna().sum()),
                      "assets_per_day": float(p.notna().sum(axis=1)[ic.notna()].mean()) if ic.notna().any() else 0.0,
                      "btc_tsIC": b["ic"], "btc_p": b["p_value"], "btc_n": b["n"]}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "sentiment"
    return out


def with_texts(data: MarketData, texts: pd.DataFrame) -> MarketData:
    """Return ``data`` with its dated texts replaced (helper for ablations on the news table)."""
    return replace(data, sentiment=replace(data.sentiment, texts=texts))
