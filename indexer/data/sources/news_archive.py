"""All dated news of ``../shared/data`` as one UTC-dated, asset-tagged text table.

Three files, three layouts (each quirk handled explicitly, nothing repaired silently):

``news/cryptonews_price_momentum.csv`` (source ``cryptonews_momentum``)
    Comma-separated; ``datetime`` is a date (YYYY-MM-DD, no time); ``text`` is one
    sentence, already lower-cased with stop words removed; ``price_momentums``
    (0/1) is the *price momentum that followed the article* as labelled by the
    data set's authors -> column ``label``.  Assets from the url slug and the text.
``news_cryptonews_2021_2022/cryptonews.csv`` (source ``cryptonews_kaggle``)
    Semicolon-separated; ``date`` is ``D-M-YYYY HH:MM`` (day first, no zero
    padding, UTC); rows are sorted newest first; ``sentiment`` is a Python dict
    string ``{'class': 'positive', 'polarity': 0.13, 'subjectivity': 0.37}``
    computed by TextBlob (an automatic lexicon label, not ground truth) ->
    columns ``textblob`` (class) and ``textblob_polarity``.  Text = title + summary;
    assets from ``subject`` (bitcoin/ethereum), title, summary and url slug.
``news_reuters_btc_2021_2023/BTC_reuters_articles.csv`` (source ``reuters_btc``)
    TAB-separated despite the ``.csv`` name; ``timestamp`` is ISO 8601 with
    microseconds and ``+00:00``.  Text = title + subheadline.  The file is a
    Reuters search for "bitcoin", so some rows are macro/FX news: assets are
    tagged only from words in the text (macro rows stay untagged).

Output columns: ``timestamp`` (UTC day the text became known, 00:00),
``published`` (UTC time when the file gives one, else NaT), ``text``, ``label``
(price-momentum 0/1 or NaN), ``textblob`` (class or ``None``),
``textblob_polarity`` (-1..1 or NaN), ``url``, ``source``, ``assets`` (tuple).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from indexer.data.sources.sentiment_inputs import _SLUG, ASSET_ALIASES, tag_assets
from indexer.exceptions import DataError

__all__ = [
    "NEWS_FILES",
    "NEWS_COLUMNS",
    "NOT_ASSETS",
    "read_momentum_news",
    "read_cryptonews_kaggle",
    "read_reuters_btc",
    "read_all_news",
]

NEWS_COLUMNS = ["timestamp", "published", "text", "label", "textblob", "textblob_polarity", "url", "source", "assets"]

#: Project names that contain an asset alias but are not that asset: a text naming the project
#: is not tagged with the symbol (e.g. the "Dash 2 Trade" presale texts say "dash" for it, not for DASH).
NOT_ASSETS: dict[str, str] = {"dash 2 trade": "DASH", "dash2trade": "DASH"}


def _tag(*texts: str, aliases: dict[str, str]) -> tuple[str, ...]:
    """:func:`tag_assets` minus the symbols masked by a :data:`NOT_ASSETS` phrase in any of ``texts``."""
    low = " ".join(t.lower() for t in texts if isinstance(t, str))
    masked = {sym for phrase, sym in NOT_ASSETS.items() if phrase in low}
    return tuple(a for a in tag_assets(*texts, aliases=aliases) if a not in masked)


#: Subject column of the Kaggle crypto-news file -> asset (other subjects name no single asset).
_SUBJECT_ASSET = {"bitcoin": "BTC", "ethereum": "ETH"}


def _read(path: Path, *, sep: str, required: list[str]) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read news ({'TAB' if sep == chr(9) else repr(sep)}-separated): {exc}") from exc
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {missing}; expected {required} separated by "
            f"{'TAB' if sep == chr(9) else repr(sep)} (found {list(raw.columns)[:8]})"
        )
    return raw


def _parse_times(path: Path, raw: pd.DataFrame, col: str, fmt: str, expected: str) -> pd.DatetimeIndex:
    ts = pd.to_datetime(raw[col].str.strip(), format=fmt, utc=True, errors="coerce")
    bad = ts.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"{path}: data row {row + 1}: {col} {raw[col].iloc[row]!r} is not a date/time; expected {expected}")
    return pd.DatetimeIndex(ts)


def _join(title: pd.Series, body: pd.Series) -> pd.Series:
    """``"<title>. <body>"`` (no added full stop when the title ends in punctuation; either part may be empty)."""
    t, b = title.fillna("").str.strip(), body.fillna("").str.strip()
    sep = pd.Series(np.where(t.str.contains(r"[.!?:]$"), " ", ". "), index=t.index)
    return (t + sep.where((t != "") & (b != ""), "") + b).str.strip()


def _slug(url: pd.Series) -> pd.Series:
    return url.str.extract(_SLUG)[0].fillna("").str.replace("-", " ")


def _frame(ts: pd.DatetimeIndex, *, published: bool, text: pd.Series, url: pd.Series, source: str, assets: list,
           label=np.nan, textblob=None, polarity=np.nan) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "timestamp": ts.floor("D"),
            "published": ts if published else pd.DatetimeIndex([pd.NaT] * len(ts), tz="UTC"),
            "text": text.to_numpy(dtype=object),
            "label": label,
            "textblob": textblob,
            "textblob_polarity": polarity,
            "url": url.to_numpy(dtype=object),
            "source": source,
            "assets": assets,
        }
    )


def read_momentum_news(path: str | Path, *, aliases: dict[str, str] = ASSET_ALIASES) -> pd.DataFrame:
    """``news/cryptonews_price_momentum.csv``: comma-separated, date only, 0/1 price-momentum labels."""
    path = Path(path)
    raw = _read(path, sep=",", required=["datetime", "text", "url", "price_momentums"])
    ts = _parse_times(path, raw, "datetime", "%Y-%m-%d", "YYYY-MM-DD")
    lab = pd.to_numeric(raw["price_momentums"], errors="coerce")
    bad = ~lab.isin([0, 1])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{path}: data row {row + 1}: price_momentums {raw['price_momentums'].iloc[row]!r}; expected 0 or 1")
    assets = [_tag(s, t, aliases=aliases) for s, t in zip(_slug(raw["url"]), raw["text"], strict=True)]
    return _frame(ts, published=False, text=raw["text"], url=raw["url"], source="cryptonews_momentum", assets=assets,
                  label=lab.to_numpy(dtype="float64"))


def _textblob(path: Path, cell: str, row: int) -> tuple[str, float]:
    try:
        d = ast.literal_eval(cell)
        cls, pol = str(d["class"]), float(d["polarity"])
    except (ValueError, SyntaxError, KeyError, TypeError) as exc:
        raise DataError(
            f"{path}: data row {row + 1}: sentiment {cell[:60]!r} is not a dict string with 'class' and 'polarity' ({exc})"
        ) from None
    if cls not in ("positive", "neutral", "negative") or not -1.0 <= pol <= 1.0:
        raise DataError(f"{path}: data row {row + 1}: sentiment class {cls!r} / polarity {pol}; expected positive|neutral|negative and -1..1")
    return cls, pol


def read_cryptonews_kaggle(path: str | Path, *, aliases: dict[str, str] = ASSET_ALIASES) -> pd.DataFrame:
    """``news_cryptonews_2021_2022/cryptonews.csv``: ``;``-separated, ``D-M-YYYY HH:MM``, TextBlob dict labels, newest first."""
    path = Path(path)
    raw = _read(path, sep=";", required=["date", "sentiment", "subject", "text", "title", "url"])
    ts = _parse_times(path, raw, "date", "%d-%m-%Y %H:%M", "D-M-YYYY HH:MM (day first)")
    tb = [_textblob(path, c, i) for i, c in enumerate(raw["sentiment"])]
    text = _join(raw["title"], raw["text"])
    slugs = _slug(raw["url"])
    assets = [
        tuple(sorted(set(_tag(t, s, aliases=aliases)) | ({_SUBJECT_ASSET[sub]} if sub in _SUBJECT_ASSET else set())))
        for t, s, sub in zip(text, slugs, raw["subject"].str.strip().str.lower(), strict=True)
    ]
    return _frame(ts, published=True, text=text, url=raw["url"], source="cryptonews_kaggle", assets=assets,
                  textblob=[c for c, _ in tb], polarity=np.array([p for _, p in tb]))


def read_reuters_btc(path: str | Path, *, aliases: dict[str, str] = ASSET_ALIASES) -> pd.DataFrame:
    """``news_reuters_btc_2021_2023/BTC_reuters_articles.csv``: TAB-separated, ISO UTC timestamps, no labels."""
    path = Path(path)
    raw = _read(path, sep="\t", required=["title", "subheadlines", "timestamp"])
    ts = _parse_times(path, raw, "timestamp", "ISO8601", "ISO 8601 UTC, e.g. 2023-01-31 06:19:30.343000+00:00")
    text = _join(raw["title"], raw["subheadlines"])
    assets = [_tag(t, aliases=aliases) for t in text]
    return _frame(ts, published=True, text=text, url=pd.Series("", index=raw.index), source="reuters_btc", assets=assets)


#: Relative path under the shared-data directory -> reader.
NEWS_FILES: dict[str, Callable[..., pd.DataFrame]] = {
    "news/cryptonews_price_momentum.csv": read_momentum_news,
    "news_cryptonews_2021_2022/cryptonews.csv": read_cryptonews_kaggle,
    "news_reuters_btc_2021_2023/BTC_reuters_articles.csv": read_reuters_btc,
}


def read_all_news(src: str | Path, *, aliases: dict[str, str] = ASSET_ALIASES) -> tuple[pd.DataFrame | None, list[str]]:
    """Every news file of :data:`NEWS_FILES` present under ``src``, as one table sorted by time.

    Returns
    -------
    texts : the table (columns :data:`NEWS_COLUMNS`), or ``None`` when no file exists.
    files : paths read.
    """
    src = Path(src)
    frames, files = [], []
    for rel, reader in NEWS_FILES.items():
        p = src / rel
        if p.exists():
            frames.append(reader(p, aliases=aliases))
            files.append(str(p))
    if not frames:
        return None, files
    out = pd.concat(frames, ignore_index=True)
    out["label"] = out["label"].astype("float64")
    out["textblob_polarity"] = out["textblob_polarity"].astype("float64")
    out["textblob"] = out["textblob"].astype(object).where(out["textblob"].notna(), None)
    order = np.lexsort((out["published"].fillna(out["timestamp"]).to_numpy(), out["timestamp"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)[NEWS_COLUMNS], files
