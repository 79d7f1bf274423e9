"""The three real news files: one test per format quirk, errors naming file and row, the merged table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from indexer.data.sources.news_archive import (
    NEWS_COLUMNS,
    read_all_news,
    read_cryptonews_kaggle,
    read_momentum_news,
    read_reuters_btc,
)
from indexer.exceptions import DataError

MOM = "news/cryptonews_price_momentum.csv"
KAGGLE = "news_cryptonews_2021_2022/cryptonews.csv"
REUTERS = "news_reuters_btc_2021_2023/BTC_reuters_articles.csv"
UTC = "UTC"


def test_momentum_set_is_date_only_with_price_momentum_labels(shared_data: Path) -> None:
    df = read_momentum_news(shared_data / MOM)
    assert len(df) == 8113
    assert df["published"].isna().all()  # the file gives a date, no time
    assert df["label"].value_counts().to_dict() == {0.0: 4280, 1.0: 3833}
    assert (df["timestamp"] == df["timestamp"].dt.floor("D")).all()
    assert df["timestamp"].min() == pd.Timestamp("2022-10-14", tz=UTC)
    assert df["textblob"].isna().all() and (df["source"] == "cryptonews_momentum").all()


def test_kaggle_set_is_semicolon_day_first_newest_first_with_textblob_dicts(shared_data: Path) -> None:
    df = read_cryptonews_kaggle(shared_data / KAGGLE)
    assert len(df) == 7524
    # first data row of the file: "5-7-2022 04:24" is 5 July (day first), not 7 May
    first = df.iloc[0]
    assert first["published"] == pd.Timestamp("2022-07-05 04:24", tz=UTC)
    assert first["timestamp"] == pd.Timestamp("2022-07-05", tz=UTC)
    assert first["textblob"] == "neutral" and first["textblob_polarity"] == 0.0
    assert first["text"].startswith("Bitcoin Returns Above USD 20K, Ethereum Rallies")
    assert first["assets"] == ("BTC", "ETH")
    assert df["published"].min().date().isoformat() == "2021-10-12"
    assert df["textblob"].value_counts().to_dict() == {"positive": 3431, "neutral": 2741, "negative": 1352}
    assert df["label"].isna().all()  # TextBlob classes are not price-momentum labels
    # subject "bitcoin" tags BTC even when the title/summary never say so
    raw = pd.read_csv(shared_data / KAGGLE, sep=";", dtype=str)
    assert (raw["subject"] == "bitcoin").sum() == 3035
    assert df.loc[(raw["subject"] == "bitcoin").to_numpy(), "assets"].map(lambda a: "BTC" in a).all()


def test_reuters_set_is_tab_separated_with_iso_microsecond_times(shared_data: Path) -> None:
    with pytest.raises(pd.errors.ParserError):  # what a comma reader makes of it
        pd.read_csv(shared_data / REUTERS, sep=",", engine="c", on_bad_lines="error")
    df = read_reuters_btc(shared_data / REUTERS)
    assert len(df) == 2260
    first = df.iloc[0]
    assert first["published"] == pd.Timestamp("2023-01-31 06:19:30.343", tz=UTC)
    assert first["text"] == "Cryptoverse: Big investors edge back to bitcoin. Big investors are dipping their toes into crypto waters again after a bumper month for bitcoin."
    assert first["assets"] == ("BTC",)
    assert df.iloc[1]["text"].startswith("Dollar clings to gains") and df.iloc[1]["assets"] == ()  # macro row: untagged
    assert df["label"].isna().all() and df["textblob"].isna().all()


def test_all_news_is_one_sorted_table_of_17897_texts(shared_data: Path) -> None:
    df, files = read_all_news(shared_data)
    assert list(df.columns) == NEWS_COLUMNS and len(files) == 3
    assert len(df) == 8113 + 7524 + 2260
    assert df["timestamp"].is_monotonic_increasing
    assert df["source"].value_counts().to_dict() == {"cryptonews_momentum": 8113, "cryptonews_kaggle": 7524, "reuters_btc": 2260}
    assert df["timestamp"].min() == pd.Timestamp("2021-01-29", tz=UTC) and df["timestamp"].max() >= pd.Timestamp("2023-05-01", tz=UTC)
    # the "Dash 2 Trade" presale is not the DASH coin
    d2t = df["text"].str.contains("dash 2 trade", case=False)
    assert d2t.sum() > 20 and not df.loc[d2t, "assets"].map(lambda a: "DASH" in a).any()
    assert read_all_news(shared_data / "nonexistent") == (None, [])


def _copy(shared_data: Path, rel: str, tmp_path: Path) -> Path:
    dst = tmp_path / Path(rel).name
    shutil.copy(shared_data / rel, dst)
    dst.chmod(0o644)
    return dst


def _replace_line(path: Path, line: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")


def test_bad_kaggle_date_names_file_and_row(shared_data: Path, tmp_path: Path) -> None:
    p = _copy(shared_data, KAGGLE, tmp_path)
    _replace_line(p, 3, "5-7-2022 04:00", "2022-07-05 04:00")  # ISO date where D-M-YYYY is expected
    with pytest.raises(DataError, match=r"cryptonews.csv: data row 2: date '2022-07-05 04:00' is not a date/time; expected D-M-YYYY HH:MM"):
        read_cryptonews_kaggle(p)


def test_bad_textblob_dict_names_file_and_row(shared_data: Path, tmp_path: Path) -> None:
    p = _copy(shared_data, KAGGLE, tmp_path)
    _replace_line(p, 2, "{'class': 'neutral'", "{'klass': 'neutral'")
    with pytest.raises(DataError, match=r"cryptonews.csv: data row 1: sentiment .* is not a dict string with 'class' and 'polarity'"):
        read_cryptonews_kaggle(p)


def test_reuters_without_tabs_says_tab_separated(tmp_path: Path) -> None:
    p = tmp_path / "BTC_reuters_articles.csv"
    p.write_text("title,subheadlines,timestamp\na,b,2023-01-01 00:00:00+00:00\n")
    with pytest.raises(DataError, match=r"BTC_reuters_articles.csv: missing column\(s\) \['title', 'subheadlines', 'timestamp'\]; .* separated by TAB"):
        read_reuters_btc(p)


def test_bad_momentum_label_names_file_and_row(shared_data: Path, tmp_path: Path) -> None:
    p = _copy(shared_data, MOM, tmp_path)
    lines = p.read_text(encoding="utf-8").split("\n")
    lines[4] = lines[4][: lines[4].rfind(",")] + ",2"
    p.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DataError, match=r"cryptonews_price_momentum.csv: data row 4: price_momentums '2'; expected 0 or 1"):
        read_momentum_news(p)


def test_reference_carries_every_news_source(reference) -> None:
    texts = reference.sentiment.texts
    assert set(texts["source"]) == {"cryptonews_momentum", "cryptonews_kaggle", "reuters_btc"}
    assert texts["timestamp"].is_monotonic_increasing
