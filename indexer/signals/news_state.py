"""Incremental ``news_sentiment``: each text scored once per model version, the decay carried forward.

:class:`NewsState` reproduces :class:`~indexer.signals.sentiment.NewsSentiment`'s
panel for growing point-in-time views of the same data: the first call scores
every text with the walk-forward text model (:func:`score_texts`) and runs the
exponential decay over the history; later calls score only the texts dated
after the last bar seen (with the model of their refit period, fitted once and
kept) and advance the decay state by the new bars.  The decay is pandas'
``ewm(halflife).mean()`` recursion (``adjust=True``) written out, so the values
equal the whole-history panel (tested to 1e-12).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexer.signals.sentiment import NewsSentiment, daily_asset_sums, period_model, score_texts

if TYPE_CHECKING:  # pragma: no cover
    from indexer.data import MarketData

__all__ = ["NewsState"]

_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


def _old_weight_factor(halflife: float) -> float:
    """``1 - alpha`` exactly as pandas derives it from a half-life."""
    decay = 1 - np.exp(np.log(0.5) / halflife)
    com = 1 / decay - 1
    return 1.0 - 1.0 / (1.0 + com)


class NewsState:
    """Decayed per-asset text scores of one ``NewsSentiment``, extended bar by bar (see module docstring)."""

    def __init__(self, sig: NewsSentiment) -> None:
        self.sig = sig
        self._f = _old_weight_factor(sig.halflife)
        self._models: dict[int, Any] = {}
        self.end: pd.Timestamp | None = None
        self.n_texts = 0
        self.rows = 0

    def _advance(self, sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Feed new bars (rows) of per-asset sums/counts; returns the signal rows."""
        out = np.full(sums.shape, np.nan)
        for i in range(len(sums)):
            s, c = sums[i], counts[i]
            if self.rows == 0:
                self._ws, self._wc, self._old = s.copy(), c.copy(), 1.0
                self._last_seen = np.full(s.shape, -(10**9), dtype=np.int64)
            else:
                self._old *= self._f
                den = self._old + 1.0
                upd = self._ws != s
                self._ws = np.where(upd, (self._old * self._ws + s) / den, self._ws)
                upd = self._wc != c
                self._wc = np.where(upd, (self._old * self._wc + c) / den, self._wc)
                self._old += 1.0
            self._last_seen[c > 0] = self.rows
            recent = self.rows - self._last_seen < self.sig.max_age
            ok = recent & (self._wc > 0)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[i] = np.where(ok, self._ws / np.where(ok, self._wc, 1.0), np.nan)
            self.rows += 1
        return out

    def _texts(self, data: MarketData) -> pd.DataFrame | None:
        t = data.sentiment.texts
        return None if t is None or len(t) == 0 else t

    def build(self, data: MarketData) -> np.ndarray:
        """Build the whole panel (bars x ``data.close.columns``) of ``data``; start the state."""
        sig, idx, cols = self.sig, data.close.index, data.close.columns
        self.rows, self._models = 0, {}
        texts = self._texts(data)
        if texts is None:
            self.n_texts, self.end = 0, idx[-1]
            return self._advance(np.zeros((len(idx), len(cols))), np.zeros((len(idx), len(cols))))
        scores = score_texts(texts, refit_days=sig.refit_days, label_delay=sig.label_delay, min_train=sig.min_train)
        sums, counts = daily_asset_sums(texts, scores, idx, cols)
        self.n_texts, self.end = len(texts), idx[-1]
        return self._advance(sums.to_numpy(), counts.to_numpy())

    def extend(self, data: MarketData, start: int) -> np.ndarray | None:
        """Compute rows ``start:`` of ``data``'s panel, given the state covers rows ``:start``.

        ``None`` when the texts seen so far are not those of ``data`` (the caller rebuilds).
        """
        sig, idx, cols = self.sig, data.close.index, data.close.columns
        new_idx = idx[start:]
        texts = self._texts(data)
        if texts is None:
            if self.n_texts:
                return None
            self.end = idx[-1]
            z = np.zeros((len(new_idx), len(cols)))
            return self._advance(z, z)
        ts = texts["timestamp"]
        old = (ts <= self.end).to_numpy()
        if int(old.sum()) != self.n_texts:
            return None
        new = texts[~old]
        scores = pd.Series(np.nan, index=new.index, dtype="float64")
        if len(new):
            period = (((new["timestamp"] - _EPOCH) // pd.Timedelta(days=1)).to_numpy()) // sig.refit_days
            for p in np.unique(period):
                p = int(p)
                if p not in self._models:
                    self._models[p] = period_model(texts, p, refit_days=sig.refit_days, label_delay=sig.label_delay,
                                                   min_train=sig.min_train)  # fmt: skip
                model = self._models[p]
                if model is None:
                    continue
                rows = new.index[period == p]
                scores.loc[rows] = model.predict_proba(new.loc[rows, "text"].fillna("").tolist())[:, 1] - 0.5
        sums, counts = daily_asset_sums(new, scores, new_idx, cols)
        self.n_texts, self.end = len(texts), idx[-1]
        return self._advance(sums.to_numpy(), counts.to_numpy())
