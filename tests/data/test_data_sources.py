"""Readers of the individual sources: CoinMetrics layout, DefiLlama TVL, Fear & Greed, news tagging."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from indexer.data.reference_data import import_reference
from indexer.data.sources.onchain_metrics import read_coinmetrics, read_defillama_tvl
from indexer.data.sources.sentiment_inputs import read_fear_greed, read_news, tag_assets
from indexer.exceptions import DataError


def test_coinmetrics_layout_csv_and_parquet(shared_data: Path, tmp_path: Path) -> None:
    src = tmp_path / "shared"
    src.mkdir()
    for name in ("daily_ohlcv_usd", "onchain_btc_blockchain_com"):
        (src / name).symlink_to(shared_data / name)
    cm = src / "coinmetrics"
    cm.mkdir()
    days = pd.date_range("2018-01-01", periods=5, freq="D", tz="UTC")
    pd.DataFrame({"time": [d.strftime("%Y-%m-%dT00:00:00.000000000Z") for d in days], "TxCnt": [1, 2, 3, 4, 5],
                  "AdrActCnt": [10, 20, 30, 40, 50]}).to_csv(cm / "btc.csv", index=False)
    pd.DataFrame({"time": days, "TxCnt": [7.0, 8, 9, 10, 11], "FeeTotUSD": [1.0, 1, 1, 1, 1]}).to_parquet(cm / "eth.parquet")
    read = read_coinmetrics(cm)
    assert set(read["TxCnt"].columns) == {"BTC", "ETH"}
    data = import_reference(src, tmp_path / "cache")
    full = data.metrics["TxCnt"]
    assert full.loc["2018-01-03", "BTC"] == 3.0  # CoinMetrics preferred over blockchain.com
    assert full.loc["2018-01-05", "ETH"] == 11.0
    assert full.loc["2019-06-07", "BTC"] > 100_000  # blockchain.com where CoinMetrics has nothing
    assert data.metrics["FeeTotUSD"].loc["2018-01-02", "ETH"] == 1.0


def test_coinmetrics_bad_value_names_line(tmp_path: Path) -> None:
    (tmp_path / "btc.csv").write_text("time,TxCnt\n2020-01-01,5\n2020-01-02,many\n")
    with pytest.raises(DataError, match=r"btc.csv: metric 'TxCnt' line 3 holds 'many'"):
        read_coinmetrics(tmp_path / "btc.csv")
    (tmp_path / "eth.csv").write_text("day,TxCnt\n2020-01-01,5\n")
    with pytest.raises(DataError, match="missing column 'time'"):
        read_coinmetrics(tmp_path / "eth.csv")


def test_defillama_tvl(shared_data: Path) -> None:
    tvl = read_defillama_tvl(shared_data / "coinbase_cmc" / "defillama_tvl_20251103.csv")
    assert tvl["timestamp"].nunique() == 1 and tvl["timestamp"].iloc[0] == pd.Timestamp("2025-11-03", tz="UTC")
    assert not tvl["asset"].duplicated().any()
    assert tvl.set_index("asset").loc["AAVE", "tvl"] > 1e10


def test_fear_greed(shared_data: Path, tmp_path: Path) -> None:
    fg = read_fear_greed(shared_data / "crypto_fear_greed_index.csv")
    assert fg.index[0] == pd.Timestamp("2018-02-01", tz="UTC") and len(fg) == 2644
    assert fg.index.is_monotonic_increasing and fg.between(0, 100).all()
    (tmp_path / "fg.csv").write_text("timestamp,value,classification,date\n1,30,Fear,2018-02-01\n2,130,Greed,2018-02-02\n")
    with pytest.raises(DataError, match=r"fg.csv: line 3: value '130' is not a number in 0..100"):
        read_fear_greed(tmp_path / "fg.csv")


def test_news_tagging(shared_data: Path) -> None:
    assert tag_assets("bitcoin price prediction as btc jumps", "ethereum and ether") == ("BTC", "ETH")
    assert tag_assets("solana-and-cardano-rally") == ("ADA", "SOL")
    assert tag_assets("the etcetera of linking") == ()
    news = read_news(shared_data / "news" / "cryptonews_price_momentum.csv")
    assert news["timestamp"].is_monotonic_increasing
    assert set(news["label"].unique()) == {0, 1}
    assert news["assets"].map(len).gt(0).mean() > 0.8
