"""News sentiment: walk-forward text-model scores aggregated into a daily per-asset panel.

How the panel is built (point-in-time):

1. Refit dates lie on a fixed calendar grid every ``refit_days`` days (counted
   from 1970-01-01 UTC), so they do not depend on where the data ends.
2. At refit date r the text model (:mod:`indexer.models.text`, TF-IDF +
   logistic regression) is trained on labelled texts dated before
   ``r - label_delay`` days only: the labels are the *price momentum that
   followed each article*, known only some days later.  At least
   ``min_train`` texts are required, otherwise texts are not scored (NaN).
3. A text dated d is scored by the model of the last refit date <= d:
   ``P(momentum up) - 0.5`` in [-0.5, 0.5].
4. Each text counts for every asset it is tagged with; per asset and day the
   scores are summed and counted, then a decayed mean with half-life
   ``halflife`` days is taken (``ewm(sum) / ewm(count)``); NaN when the asset
   had no text in the last ``max_age`` days.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexer.signals._util import nan_panel, nonneg_int, positive_int
from indexer.signals.base import Signal, register_signal

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["NewsSentiment", "NewsVolume", "score_texts", "period_model", "daily_asset_sums"]

_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
#: Run-cache bucket of text scores per (model key, batch key).
_SCORES = "signals.news"


def period_model(texts: pd.DataFrame, period: int, *, refit_days: int = 30, label_delay: int = 7, min_train: int = 500):
    """Return the text model of refit period ``period``, or ``None`` when there are too few texts.

    The grid date is ``period x refit_days`` days after 1970-01-01 UTC; the model is trained on the
    labelled texts dated before ``refit - label_delay`` days.
    """
    from indexer.models.text import cached_text_model  # scikit-learn/joblib: only when texts are scored

    refit = _EPOCH + pd.Timedelta(days=int(period) * refit_days)
    ts = texts["timestamp"]
    labelled = texts["label"].notna() if "label" in texts.columns else pd.Series(False, index=texts.index)
    train = texts[labelled & (ts < refit - pd.Timedelta(days=label_delay))]
    if len(train) < min_train or train["label"].nunique() < 2:
        return None
    return cached_text_model(train["text"].fillna("").tolist(), train["label"].astype(int).tolist())


def score_texts(
    texts: pd.DataFrame, *, refit_days: int = 30, label_delay: int = 7, min_train: int = 500
) -> pd.Series:
    """Walk-forward score of every text (``P(up) - 0.5``; NaN before the first usable model).

    See the module docstring for the schedule; models are cached with joblib,
    scores in the ``signals.news`` bucket of the active :class:`indexer.runcache.RunCache`.
    """
    out = pd.Series(np.nan, index=texts.index, dtype="float64")
    if texts is None or len(texts) == 0:
        return out
    from indexer.models.model_store import content_key  # scikit-learn/joblib: only when texts are scored
    from indexer.models.text import cached_text_model, text_model_key
    from indexer.runcache import active

    ts = texts["timestamp"]
    days = ((ts - _EPOCH) // pd.Timedelta(days=1)).to_numpy()
    period = days // refit_days
    labelled = texts["label"].notna() if "label" in texts.columns else pd.Series(False, index=texts.index)
    for p in np.unique(period):
        refit = _EPOCH + pd.Timedelta(days=int(p) * refit_days)
        train = texts[labelled & (ts < refit - pd.Timedelta(days=label_delay))]
        if len(train) < min_train or train["label"].nunique() < 2:
            continue
        batch = texts.index[period == p]
        tr_text, tr_label = train["text"].fillna("").tolist(), train["label"].astype(int).tolist()
        batch_text = texts.loc[batch, "text"].fillna("").tolist()
        key = (text_model_key(tr_text, tr_label), content_key(batch_text))
        cache = active()
        scored = cache.get(_SCORES, key)
        if scored is None:
            scored = cache.put(_SCORES, key, cached_text_model(tr_text, tr_label).predict_proba(batch_text)[:, 1] - 0.5)
        out.loc[batch] = scored
    return out


def daily_asset_sums(
    texts: pd.DataFrame, values: pd.Series, index: pd.DatetimeIndex, columns: pd.Index
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (bar, asset) sum of ``values`` and count of texts; a text goes to the first bar >= its day."""
    sums = np.zeros((len(index), len(columns)))
    counts = np.zeros((len(index), len(columns)))
    if texts is not None and len(texts) and len(index):
        df = pd.DataFrame(
            # DatetimeIndex keeps the search vectorised (a tz-aware column's to_numpy() is an object array)
            {"pos": index.searchsorted(pd.DatetimeIndex(texts["timestamp"])), "v": values.to_numpy(),
             "a": texts["assets"].to_numpy()}
        )
        df = df[(df["pos"] < len(index)) & df["v"].notna()].explode("a")
        df = df[df["a"].isin(columns)]
        if len(df):
            g = df.groupby(["pos", "a"])["v"].agg(["sum", "count"])
            pos = g.index.get_level_values(0).to_numpy(dtype=int)
            col = columns.get_indexer(g.index.get_level_values(1))
            sums[pos, col] = g["sum"].to_numpy()
            counts[pos, col] = g["count"].to_numpy(dtype=float)
    mk = lambda a: pd.DataFrame(a, index=index, columns=columns)  # noqa: E731
    return mk(sums), mk(counts)


@register_signal("news_sentiment")
class NewsSentiment(Signal):
    """Decayed mean walk-forward text-model score per asset (see module docstring).

    The score says how often news worded like this was followed by rising
    prices in the training data (labels = subsequent price momentum), in [-0.5, 0.5].
    """

    summary = "decayed mean of walk-forward text-model scores (labels = price momentum after the article)"
    inputs = ("close", "news")

    def __init__(
        self, halflife: float = 3.0, max_age: int = 14, refit_days: int = 30, label_delay: int = 7, min_train: int = 500
    ) -> None:
        if not (isinstance(halflife, (int, float)) and halflife > 0):
            raise ValueError(f"halflife must be a positive number of days; got {halflife!r}")
        self.halflife = float(halflife)
        self.max_age = positive_int("max_age", max_age)
        self.refit_days = positive_int("refit_days", refit_days)
        self.label_delay = nonneg_int("label_delay", label_delay)
        self.min_train = positive_int("min_train", min_train, minimum=10)

    @property
    def lookback(self) -> int:
        """Bars of history needed: ``max_age``."""
        return self.max_age

    def compute(self, data: MarketData) -> pd.DataFrame:
        """Compute the decayed mean text score per asset (NaN without texts)."""
        texts = data.sentiment.texts
        if texts is None or len(texts) == 0:
            return nan_panel(data.close)
        scores = score_texts(texts, refit_days=self.refit_days, label_delay=self.label_delay, min_train=self.min_train)
        sums, counts = daily_asset_sums(texts, scores, data.close.index, data.close.columns)
        es = sums.ewm(halflife=self.halflife).mean()
        ec = counts.ewm(halflife=self.halflife).mean()
        recent = counts.rolling(self.max_age, min_periods=1).sum() > 0
        return (es / ec.where(ec > 0)).where(recent)


@register_signal("news_volume")
class NewsVolume(Signal):
    """``log(1 + number of texts tagged with the asset in the last window bars)`` (attention).

    NaN outside the period the texts cover and where the asset has no price.
    """

    summary = "log(1 + count of news tagged with the asset over `window` days)"
    inputs = ("close", "news")
    #: One more bar: texts dated before the first bar land on it.
    last_row_extra = 1

    def __init__(self, window: int = 7) -> None:
        self.window = positive_int("window", window)

    @property
    def lookback(self) -> int:
        """Bars of history needed: ``window``."""
        return self.window

    def compute(self, data: MarketData) -> pd.DataFrame:
        """Compute ``log(1 + texts tagged with the asset in the last window bars)``."""
        texts = data.sentiment.texts
        if texts is None or len(texts) == 0:
            return nan_panel(data.close)
        ones = pd.Series(1.0, index=texts.index)
        _, counts = daily_asset_sums(texts, ones, data.close.index, data.close.columns)
        first, last = texts["timestamp"].min(), texts["timestamp"].max()
        covered = (data.close.index >= first) & (data.close.index <= last + pd.Timedelta(days=self.window))
        out = np.log1p(counts.rolling(self.window, min_periods=1).sum())
        return out.where(pd.Series(covered, index=data.close.index), axis=0).where(data.close.notna())
