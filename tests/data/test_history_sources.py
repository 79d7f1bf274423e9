"""Issue 13 importers on the real files: one test per quirk, plus bad-input errors naming file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indexer.data.panel import validate_panel
from indexer.data.sources.cmc_membership import read_cmc_weekly_top10
from indexer.data.sources.coinmetrics_archive import combine_coinmetrics, read_coinmetrics_csv, read_coinmetrics_sources
from indexer.data.sources.etherscan import read_etherscan_dir, read_etherscan_export
from indexer.data.sources.social_sentiment import read_social_sentiment
from indexer.exceptions import DataError


def test_coinmetrics_empty_early_priceusd_is_nan_before_listing(shared_data: Path) -> None:
    f = read_coinmetrics_csv(shared_data / "onchain_coinmetrics_community" / "eth.csv")
    assert f.asset == "ETH" and f.first_price == pd.Timestamp("2015-08-08", tz="UTC")
    assert f.frame["PriceUSD"].loc[:"2015-08-07"].isna().all() and len(f.frame.loc[:"2015-08-07"]) == 9
    assert any("PriceUSD empty 2015-07-30..2015-08-07" in n for n in f.notes)
    # through the panel gate: NaN before listing, no gap after it
    panel = validate_panel(f.frame[["PriceUSD"]].rename(columns={"PriceUSD": "ETH"}), source=str(f.path), max_gap=0)
    assert panel["ETH"].first_valid_index() == f.first_price
    assert 700 < panel["ETH"].loc["2018-01-01"] < 800


def test_coinmetrics_missing_columns_are_stated(shared_data: Path) -> None:
    trx = read_coinmetrics_csv(shared_data / "onchain_coinmetrics_community" / "trx.csv")
    assert "CapMrktCurUSD" not in trx.frame and any("CapMrktCurUSD, FeeTotUSD, SplyCur" in n for n in trx.notes)
    xmr = read_coinmetrics_csv(shared_data / "onchain_coinmetrics_community" / "xmr.csv")
    assert "AdrActCnt" not in xmr.frame and any("AdrActCnt, TxTfrValAdjUSD" in n for n in xmr.notes)


def test_bnb_token_and_mainnet_are_one_asset_mainnet_first(shared_data: Path) -> None:
    files = read_coinmetrics_sources(shared_data)["BNB"]
    assert [f.path.name for f in files] == ["bnb_mainnet.csv", "bnb.csv"]
    frame, prov = combine_coinmetrics(files)
    assert frame.index.is_unique and frame.index[0] == pd.Timestamp("2017-07-05", tz="UTC")
    assert prov["files"][0]["days"] == "2019-04-18..2020-07-27" and prov["files"][1]["days"] == "2017-07-05..2019-04-17"
    assert prov["overlap_max_rel_diff"]["PriceUSD"] == 0.0  # same price on the 5 overlapping days


def test_btc_ada_2020_2026_drops_derived_columns_and_matches_community(shared_data: Path) -> None:
    f = read_coinmetrics_csv(shared_data / "onchain_coinmetrics_btc_ada_2020_2026" / "coinmetrics_ada.csv")
    assert f.asset == "ADA" and not {"FearGreedValue", "ActiveStakeADA", "NVT_Tx_Basis"} & set(f.frame.columns)
    assert any("ActiveStakeADA" in n for n in f.notes)
    frame, prov = combine_coinmetrics(read_coinmetrics_sources(shared_data)["BTC"])
    assert frame.index[-1] == pd.Timestamp("2026-06-01", tz="UTC")
    assert prov["overlap_max_rel_diff"]["PriceUSD"] == 0.0 and prov["overlap_max_rel_diff"]["TxCnt"] == 0.0


def test_defi_token_last_row_keeps_only_market_fields(shared_data: Path) -> None:
    uni = read_coinmetrics_csv(shared_data / "onchain_coinmetrics_defi_tokens" / "uni_met.csv")
    last = uni.frame.iloc[-1]
    assert uni.frame.index[-1] == pd.Timestamp("2022-01-24", tz="UTC") and np.isnan(last["TxCnt"]) and np.isnan(last["AdrActCnt"])
    assert uni.frame["TxCnt"].last_valid_index() == pd.Timestamp("2022-01-23", tz="UTC")


def test_coinmetrics_bad_value_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "btc.csv"
    p.write_text("time,PriceUSD,TxCnt\n2020-01-01,7000,5\n2020-01-02,7100,lots\n")
    with pytest.raises(DataError, match=r"btc\.csv: line 3: TxCnt holds 'lots'"):
        read_coinmetrics_csv(p)
    p.write_text("time,PriceUSD\n2020-01-01,7000\n2020-01-02,0\n")
    with pytest.raises(DataError, match=r"line 3: PriceUSD is '0(\.0)?'; expected > 0"):
        read_coinmetrics_csv(p)
    p.write_text("time,PriceUSD\n2020-01-01,7000\n01/02/2020,7100\n")
    with pytest.raises(DataError, match=r"line 3: column 'time' holds '01/02/2020'"):
        read_coinmetrics_csv(p)


def test_etherscan_quoted_mdy_dates_padded_or_not(shared_data: Path) -> None:
    d = shared_data / "onchain_eth_etherscan"
    assert (d / "export-TxGrowth.csv").read_text().splitlines()[1].startswith('"7/30/2015"')
    assert (d / "export-DailyActiveEthAddress.csv").read_text().splitlines()[1].startswith('"07/30/2015"')
    tx, addr = read_etherscan_export(d / "export-TxGrowth.csv"), read_etherscan_export(d / "export-DailyActiveEthAddress.csv")
    for f in (tx, addr):
        assert f.index[0] == pd.Timestamp("2015-07-30", tz="UTC") and f.index[-1] == pd.Timestamp("2023-06-17", tz="UTC")
        assert len(f) == 2880 and f.index.is_unique
    assert tx["Value"].iloc[-1] == 984217.0


def test_etherscan_all_zero_ether_fee_column_is_not_used(shared_data: Path) -> None:
    raw = read_etherscan_export(shared_data / "onchain_eth_etherscan" / "export-AverageDailyTransactionFee.csv")
    assert (raw["Average Txn Fee (Ether)"] == 0).all() and raw["Average Txn Fee (USD)"].max() > 10
    metrics, notes = read_etherscan_dir(shared_data / "onchain_eth_etherscan")
    assert "0 in every row" in notes["fee_ether_column"] and "FeeTotNtv" not in metrics
    # FeeTotUSD = average fee (USD) x transactions: 2023-06-17 = 4.25 x 984217
    assert metrics["FeeTotUSD"].iloc[-1] == pytest.approx(4.25 * 984217)


def test_etherscan_unix_timestamp_must_match_the_date(tmp_path: Path, shared_data: Path) -> None:
    p = tmp_path / "export-TxGrowth.csv"
    p.write_text('"Date(UTC)","UnixTimeStamp","Value"\n"7/30/2015","1438214400","1"\n"7/31/2015","1438214400","2"\n')
    with pytest.raises(DataError, match=r"export-TxGrowth\.csv: line 3: UnixTimeStamp '1438214400' is not 7/31/2015"):
        read_etherscan_export(p)
    p.write_text('"Date(UTC)","UnixTimeStamp","Value"\n"2015-07-30","1438214400","1"\n')
    with pytest.raises(DataError, match=r"line 2: Date\(UTC\) holds '2015-07-30'; expected M/D/YYYY"):
        read_etherscan_export(p)


def test_social_sentiment_missing_days_stay_missing(shared_data: Path) -> None:
    m = read_social_sentiment(shared_data / "sentiment_btc_social_2014_2021" / "final_dataset.csv")
    s = m["SocialSentStocktwits"]
    days = pd.date_range(s.index[0], s.index[-1], freq="D", tz="UTC")
    assert len(s) == 2303 and len(days) - len(s) == 52  # the 52 missing days are not filled
    assert s.loc["2014-11-29"] == 0.0  # a real zero score, kept
    panel = validate_panel(s.reindex(days).to_frame(), source="social", positive=False, max_gap=10)
    assert panel["BTC"].isna().sum() == 52


def test_weekly_top10_reads_dead_coins_and_checks_dates(shared_data: Path, tmp_path: Path) -> None:
    w = read_cmc_weekly_top10(shared_data / "cmc_top10_weekly" / "cmc_top10_weekly_2013_2024.csv")
    assert len(w) == 6057 and w["snapshot"].nunique() == 606
    assert {"PPC", "BCC", "DAO", "LUNA", "UST"} <= set(w["symbol"])
    bad = tmp_path / "w.csv"
    src = (shared_data / "cmc_top10_weekly" / "cmc_top10_weekly_2013_2024.csv").read_text().splitlines()
    lines = [src[0], src[1], src[2].replace("2013-04-28,2013,4,28", "2013-04-28,2013,4,29")]
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"w\.csv: line 3: date disagrees with its year/month/day"):
        read_cmc_weekly_top10(bad)


def test_reference_build_without_new_folders_still_works(shared_data: Path, tmp_path: Path) -> None:
    """The new folders are optional: a copy without them imports as before (no on-chain beyond blockchain.com)."""
    from indexer.data.reference_data import import_reference

    src = tmp_path / "src"
    src.mkdir()
    for name in ("daily_ohlcv_usd", "coinbase_cmc", "onchain_btc_blockchain_com"):
        shutil.copytree(shared_data / name, src / name)
    data = import_reference(src, tmp_path / "cache")
    assert "ETH" in data.symbols and data.metrics["TxCnt"].drop(columns="BTC").isna().all().all()
    assert "cmc_weekly_top10" not in data.membership and "cmc_monthly_top200" in data.membership


TEN = ["ADA", "AVAX", "BNB", "DOGE", "DOT", "MATIC", "SOL", "USDC", "USDT", "XRP"]


def test_the_ten_assets_ending_2025_02_10_say_which_source_lacks_them(reference) -> None:
    """No daily file continues them (Coinbase lacks them, BNB only from 2025-10-22); the monthly snapshots price them."""
    from indexer.data.snapshot_prices import with_snapshot_prices

    notes = reference.provenance["price_ends_early"]
    for a in TEN:
        assert reference.close[a].last_valid_index() == pd.Timestamp("2025-02-10", tz="UTC"), a
        assert notes[a].startswith("daily closes end 2025-02-10; coinbase daily: "), a
        assert "yahoo daily: no bars after it" in notes[a]
    assert "coinbase daily: 3 bars 2025-10-22..2025-10-24 (not joinable" in notes["BNB"]
    assert "coinbase daily: no bars after it" in notes["SOL"]
    ext = with_snapshot_prices(reference)
    for a in [a for a in TEN if a != "MATIC"]:
        assert ext.close[a].last_valid_index() == reference.end, a
        assert ext.provenance["snapshot_prices"]["extended"][a].startswith("2025-02-11"), a  # the 2025-02-01 snapshot's price
    assert ext.close["SOL"].loc["2025-10-02"] == pytest.approx(
        reference.membership["cmc_monthly_top200"].query("asset == 'SOL'").set_index("snapshot")["price"].iloc[-1]
    )
