"""Etherscan chart exports (``../shared/data/onchain_eth_etherscan/export-*.csv``) as ETH metrics.

Format quirks, handled explicitly:

* every field is quoted (``"07/30/2015","1438214400",...``);
* ``Date(UTC)`` is M/D/YYYY, zero-padded in some files (``07/30/2015``) and not
  in others (``7/30/2015``); where a ``UnixTimeStamp`` column exists it must
  be that day's 00:00 UTC, else the row is rejected;
* ``Average Txn Fee (Ether)`` in ``export-AverageDailyTransactionFee.csv`` is
  ``0`` in every row of this export, so fees are taken from the USD column
  and no native-unit fee (``FeeTotNtv``) is produced.  If a future export has
  non-zero values there, they are still not used: the rule is "USD column".

Mapping to Coin Metrics names (:data:`ETHERSCAN_MAPPING`):

* ``AdrActCnt`` = ``Unique Address Total Count`` (addresses that sent or
  received that day).  Etherscan counts about 20 % fewer than Coin Metrics
  (median ratio 0.80 over 2020-01-01..2020-07-27, where both exist); the
  reference build rescales it by that overlap's median ratio so the series
  does not jump where it takes over (factor recorded in provenance);
* ``TxCnt`` = ``Value`` of ``export-TxGrowth.csv`` (transactions per day);
* ``FeeTotUSD`` = ``Average Txn Fee (USD)`` x ``TxCnt`` (USD per day).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from indexer.exceptions import DataError

__all__ = ["ETHERSCAN_MAPPING", "read_etherscan_export", "read_etherscan_dir"]

#: Coin Metrics metric name -> how it is computed from the Etherscan exports.
ETHERSCAN_MAPPING: dict[str, str] = {
    "AdrActCnt": "export-DailyActiveEthAddress.csv 'Unique Address Total Count'",
    "TxCnt": "export-TxGrowth.csv 'Value'",
    "FeeTotUSD": "export-AverageDailyTransactionFee.csv 'Average Txn Fee (USD)' x TxCnt",
}

_DATE = "Date(UTC)"


def read_etherscan_export(path: str | Path) -> pd.DataFrame:
    """One Etherscan chart export as float64 columns on a daily UTC index named ``timestamp``.

    The date columns (``Date(UTC)``, ``UnixTimeStamp``, ``DateTime``) are
    consumed; every other column is returned under its own name.

    Raises
    ------
    DataError
        Naming the file and line: unreadable file, no ``Date(UTC)`` column, a
        date that is not M/D/YYYY, a UnixTimeStamp that is not that day's
        00:00 UTC, a duplicate or out-of-order day, a value that is not a number.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot read Etherscan export: {exc}") from exc
    if _DATE not in raw.columns:
        raise DataError(f"{path}: line 1: no {_DATE!r} column; expected an Etherscan chart export")
    ts = pd.to_datetime(raw[_DATE], format="%m/%d/%Y", utc=True, errors="coerce")
    if ts.isna().any():
        row = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise DataError(f"{path}: line {row + 2}: {_DATE} holds {raw[_DATE].iloc[row]!r}; expected M/D/YYYY")
    idx = pd.DatetimeIndex(ts, name="timestamp")
    if "UnixTimeStamp" in raw.columns:
        unix = pd.to_numeric(raw["UnixTimeStamp"], errors="coerce").to_numpy()
        secs = ((idx - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy()
        off = ~(unix == secs)
        if off.any():
            row = int(np.flatnonzero(off)[0])
            raise DataError(
                f"{path}: line {row + 2}: UnixTimeStamp {raw['UnixTimeStamp'].iloc[row]!r} is not "
                f"{raw[_DATE].iloc[row]} 00:00 UTC"
            )
    if idx.has_duplicates:
        row = int(np.flatnonzero(idx.duplicated())[0])
        raise DataError(f"{path}: line {row + 2}: duplicate day {idx[row].date()}")
    if not idx.is_monotonic_increasing:
        row = int(np.flatnonzero(np.diff(idx.asi8) < 0)[0]) + 1
        raise DataError(f"{path}: line {row + 2}: day {idx[row].date()} comes after {idx[row - 1].date()}")
    cols = {}
    for c in raw.columns:
        if c in (_DATE, "UnixTimeStamp", "DateTime"):
            continue
        vals = pd.to_numeric(raw[c], errors="coerce")
        bad = raw[c].notna() & vals.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{path}: line {row + 2}: column {c!r} holds {raw[c].iloc[row]!r}; expected a number")
        cols[c] = vals.to_numpy(dtype="float64")
    return pd.DataFrame(cols, index=idx)


def _column(frame: pd.DataFrame, path: Path, name: str) -> pd.Series:
    if name not in frame.columns:
        raise DataError(f"{path}: no column {name!r}; expected {', '.join(frame.columns)} to include it")
    return frame[name]


def read_etherscan_dir(directory: str | Path) -> tuple[dict[str, pd.Series], dict[str, str]]:
    """ETH metrics under Coin Metrics names from an ``onchain_eth_etherscan`` folder.

    Returns
    -------
    (metrics, notes)
        ``{AdrActCnt, TxCnt, FeeTotUSD: daily Series}`` (those whose files
        exist) and notes per rule (mapping, the ignored Ether-fee column).
    """
    d = Path(directory)
    out: dict[str, pd.Series] = {}
    notes: dict[str, str] = {}
    f_addr, f_tx, f_fee = d / "export-DailyActiveEthAddress.csv", d / "export-TxGrowth.csv", d / "export-AverageDailyTransactionFee.csv"
    if f_addr.exists():
        out["AdrActCnt"] = _column(read_etherscan_export(f_addr), f_addr, "Unique Address Total Count")
    if f_tx.exists():
        out["TxCnt"] = _column(read_etherscan_export(f_tx), f_tx, "Value")
    if f_fee.exists():
        fee = read_etherscan_export(f_fee)
        usd = _column(fee, f_fee, "Average Txn Fee (USD)")
        ether = _column(fee, f_fee, "Average Txn Fee (Ether)")
        notes["fee_ether_column"] = (
            "'Average Txn Fee (Ether)' is 0 in every row: not used (fees from the USD column)"
            if (ether.fillna(0) == 0).all()
            else "'Average Txn Fee (Ether)' not used (rule: fees from the USD column)"
        )
        if "TxCnt" not in out:
            raise DataError(f"{f_fee}: FeeTotUSD = average fee x TxCnt needs {f_tx.name} in the same folder")
        tx = out["TxCnt"].reindex(usd.index)
        out["FeeTotUSD"] = usd * tx
    if not out:
        raise DataError(f"{d}: no Etherscan exports ({f_addr.name}, {f_tx.name}, {f_fee.name})")
    notes["mapping"] = "; ".join(f"{k} = {v}" for k, v in ETHERSCAN_MAPPING.items() if k in out)
    return out, notes
