"""Sentiment inputs: the Crypto Fear & Greed index and dated news texts tagged with assets."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from indexer.data.longformat import read_csv_text
from indexer.exceptions import DataError

__all__ = ["ASSET_ALIASES", "tag_assets", "read_fear_greed", "read_news"]

#: Lower-case words (url slug or text) -> asset symbol.
ASSET_ALIASES: dict[str, str] = {
    "bitcoin": "BTC", "btc": "BTC",
    "ethereum": "ETH", "eth": "ETH", "ether": "ETH",
    "litecoin": "LTC", "ltc": "LTC",
    "ripple": "XRP", "xrp": "XRP",
    "cardano": "ADA", "ada": "ADA",
    "solana": "SOL", "sol": "SOL",
    "dogecoin": "DOGE", "doge": "DOGE",
    "polkadot": "DOT",
    "polygon": "MATIC", "matic": "MATIC",
    "avalanche": "AVAX", "avax": "AVAX",
    "chainlink": "LINK",
    "bnb": "BNB",
    "tether": "USDT", "usdt": "USDT",
    "usdc": "USDC",
    "cronos": "CRO",
    "algorand": "ALGO", "algo": "ALGO",
    "filecoin": "FIL",
    "aave": "AAVE",
    "eos": "EOS",
    "dash": "DASH",
    "bch": "BCH",
    "apecoin": "APE",
    "shiba": "SHIB", "shib": "SHIB",
    "tron": "TRX", "trx": "TRX",
}

_WORD = re.compile(r"[a-z0-9]+")
_SLUG = re.compile(r"/([^/]+?)(?:\.html?)?/?$")


def tag_assets(*texts: str, aliases: dict[str, str] = ASSET_ALIASES) -> tuple[str, ...]:
    """Sorted unique symbols whose alias appears as a whole word in any of ``texts``."""
    found = {aliases[w] for t in texts if isinstance(t, str) for w in _WORD.findall(t.lower()) if w in aliases}
    return tuple(sorted(found))


def read_fear_greed(path: str | Path) -> pd.Series:
    """Daily Fear & Greed values (0-100) indexed by UTC day, named ``fear_greed``.

    Accepts ``timestamp`` (unix seconds) and/or ``date`` columns plus ``value``.
    """
    path = Path(path)
    try:
        raw = read_csv_text(path, "Fear & Greed CSV", dtype=None, keep_default_na=True, na_values=None)
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read Fear & Greed index: {exc}") from exc
    if "value" not in raw.columns or not ({"date", "timestamp"} & set(raw.columns)):
        raise DataError(f"{path}: expected columns value and date (YYYY-MM-DD) or timestamp (unix seconds)")
    if "date" in raw.columns:
        ts = pd.to_datetime(raw["date"].astype(str), utc=True, errors="coerce", format="mixed")
    else:
        ts = pd.to_datetime(pd.to_numeric(raw["timestamp"], errors="coerce"), unit="s", utc=True)
    if ts.isna().any():
        row = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise DataError(f"{path}: line {row + 2}: cannot parse the date")
    vals = pd.to_numeric(raw["value"], errors="coerce")
    bad = vals.isna() | (vals < 0) | (vals > 100)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{path}: line {row + 2}: value {str(raw['value'].iloc[row])!r} is not a number in 0..100")
    s = pd.Series(vals.to_numpy(dtype="float64"), index=pd.DatetimeIndex(ts).floor("D"), name="fear_greed")
    if s.index.has_duplicates:
        row = int(np.flatnonzero(s.index.duplicated())[0])
        raise DataError(f"{path}: duplicate day {s.index[row].date()} at line {row + 2}")
    s = s.sort_index()
    s.index.name = "timestamp"
    return s


def read_news(path: str | Path, *, aliases: dict[str, str] = ASSET_ALIASES) -> pd.DataFrame:
    """Dated news texts: ``timestamp`` (UTC day), ``text``, ``label``, ``url``, ``assets`` (tuple).

    Assets are tagged from the url slug and the text (:func:`tag_assets`).
    ``label`` is the dataset's ``price_momentums`` (0/1) when present.
    """
    path = Path(path)
    try:
        raw = read_csv_text(path, "news CSV", dtype={"datetime": str, "text": str, "url": str}, keep_default_na=True, na_values=None)
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read news: {exc}") from exc
    tcol = next((c for c in ("datetime", "date", "timestamp") if c in raw.columns), None)
    if tcol is None or "text" not in raw.columns:
        raise DataError(f"{path}: expected columns datetime (or date/timestamp) and text")
    ts = pd.to_datetime(raw[tcol], utc=True, errors="coerce", format="mixed")
    if ts.isna().any():
        row = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise DataError(f"{path}: line {row + 2}: cannot parse {tcol} {raw[tcol].iloc[row]!r}")
    url = raw["url"].fillna("") if "url" in raw.columns else pd.Series("", index=raw.index)
    slugs = url.str.extract(_SLUG)[0].fillna("").str.replace("-", " ")
    text = raw["text"].fillna("")
    out = pd.DataFrame(
        {
            "timestamp": pd.DatetimeIndex(ts).floor("D"),
            "text": text.to_numpy(),
            "label": pd.to_numeric(raw.get("price_momentums", raw.get("label")), errors="coerce")
            if ("price_momentums" in raw.columns or "label" in raw.columns)
            else np.nan,
            "url": url.to_numpy(),
            "assets": [tag_assets(s, t, aliases=aliases) for s, t in zip(slugs, text, strict=True)],
        }
    )
    return out.sort_values("timestamp", kind="stable").reset_index(drop=True)

