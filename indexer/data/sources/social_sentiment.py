"""Daily BTC social sentiment 2014-2021 (``sentiment_btc_social_2014_2021/final_dataset.csv``) as metrics.

The file (zackdilan/bitcoin-sentiment-index) holds aggregated daily scores for
BTC only: mean crypto-lexicon sentiment of StockTwits messages, r/Bitcoin
submissions and comments, message counts and Google Trends search volume.
They become metric panels with a ``BTC`` column (:data:`SOCIAL_METRICS`).

Quirks: 52 of the 2,355 days 2014-11-28..2021-05-09 have no row; they stay
NaN (not filled).  A StockTwits score of exactly 0.0 is a real value (days
with few, neutral messages), not a missing one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from indexer.exceptions import DataError

__all__ = ["SOCIAL_METRICS", "read_social_sentiment"]

#: File column -> metric name in ``MarketData.metrics``.
SOCIAL_METRICS: dict[str, str] = {
    "Stocktwits Sent": "SocialSentStocktwits",
    "Reddit Posts Sent": "SocialSentRedditPosts",
    "Reddit Comments Sent": "SocialSentRedditComments",
    "Search Volume": "SocialSearchVolume",
    "Stocktwits Volume": "SocialStocktwitsCnt",
    "Comments Volume": "SocialRedditCommentsCnt",
}


def read_social_sentiment(path: str | Path, asset: str = "BTC") -> dict[str, pd.Series]:
    """``{metric: daily Series}`` (UTC index ``timestamp``, named ``asset``) from ``final_dataset.csv``.

    Raises
    ------
    DataError
        Naming the file and line: unreadable file, missing columns, a date
        that is not YYYY-MM-DD, a duplicate or out-of-order day, a non-number.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot read social sentiment: {exc}") from exc
    need = ["Date", *SOCIAL_METRICS]
    if missing := [c for c in need if c not in raw.columns]:
        raise DataError(f"{path}: line 1: missing columns {missing}; expected {need}")
    ts = pd.to_datetime(raw["Date"], format="%Y-%m-%d", utc=True, errors="coerce")
    if ts.isna().any():
        row = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise DataError(f"{path}: line {row + 2}: Date holds {raw['Date'].iloc[row]!r}; expected YYYY-MM-DD")
    idx = pd.DatetimeIndex(ts, name="timestamp")
    if idx.has_duplicates or not idx.is_monotonic_increasing:
        row = int(np.flatnonzero(idx.duplicated() | np.r_[False, np.diff(idx.asi8) <= 0])[0])
        raise DataError(f"{path}: line {row + 2}: day {idx[row].date()} repeats or is out of order")
    out = {}
    for col, name in SOCIAL_METRICS.items():
        vals = pd.to_numeric(raw[col], errors="coerce")
        bad = raw[col].notna() & vals.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{path}: line {row + 2}: {col!r} holds {raw[col].iloc[row]!r}; expected a number")
        out[name] = pd.Series(vals.to_numpy(dtype="float64"), index=idx, name=asset)
    return out
