"""On-chain metrics: blockchain.com BTC charts, CoinMetrics-layout files and DefiLlama TVL.

Metric names follow the CoinMetrics community data set (``TxCnt``,
``AdrActCnt``, ``FeeTotUSD``, ``TxTfrValAdjUSD``, ``CapMrktCurUSD``,
``HashRate``, ...).  Every reader returns ``{metric: Series or wide frame}``
indexed by UTC day; :func:`metric_panels` aligns them to a close panel (NaN
where no observation exists; nothing is interpolated).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from indexer.data.longformat import read_csv_text
from indexer.exceptions import DataError
from indexer.gate import MAX_DATA_BYTES, check_file

__all__ = [
    "BLOCKCHAIN_COM_METRICS",
    "read_blockchain_com",
    "read_coinmetrics",
    "read_defillama_tvl",
    "metric_panels",
]

#: blockchain.com chart file stem -> CoinMetrics-style metric name.
BLOCKCHAIN_COM_METRICS: dict[str, str] = {
    "n-transactions": "TxCnt",
    "n-unique-addresses": "AdrActCnt",
    "transaction-fees-usd": "FeeTotUSD",
    "estimated-transaction-volume-usd": "TxTfrValAdjUSD",
    "market-cap": "CapMrktCurUSD",
    "hash-rate": "HashRate",
    "miners-revenue": "RevUSD",
    "market-price": "PriceUSD",
    "output-volume": "TxTfrValNtv",
}


def _day_index(values: pd.Series, path: Path, column: str, header: bool = True) -> pd.DatetimeIndex:
    ts = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    if ts.isna().any():
        row = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise DataError(f"{path}: line {row + 1 + header} column {column!r} holds {values.iloc[row]!r}; expected a date")
    return pd.DatetimeIndex(ts).floor("D")


def _checked(series: pd.Series, path: Path, name: str, header: bool = True) -> pd.Series:
    conv = pd.to_numeric(series, errors="coerce")
    bad = series.notna() & conv.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{path}: metric {name!r} line {row + 1 + header} holds {series.iloc[row]!r}; expected a number")
    if series.index.has_duplicates:
        row = int(np.flatnonzero(series.index.duplicated())[0])
        raise DataError(f"{path}: duplicate day {series.index[row].date()} at line {row + 1 + header}")
    return conv.astype("float64").sort_index()


def read_blockchain_com(directory: str | Path, asset: str = "BTC") -> dict[str, pd.DataFrame]:
    """Header-less ``timestamp,value`` chart files -> ``{metric: one-column frame (asset)}``."""
    directory = Path(directory)
    out: dict[str, pd.DataFrame] = {}
    for stem, name in BLOCKCHAIN_COM_METRICS.items():
        path = directory / f"{stem}.csv"
        if not path.exists():
            continue
        raw = read_csv_text(path, "on-chain CSV", header=None, names=["timestamp", "value"], dtype={"timestamp": str}, keep_default_na=True, na_values=None)
        s = pd.Series(raw["value"].to_numpy(), index=_day_index(raw["timestamp"], path, "timestamp", header=False))
        out[name] = _checked(s, path, name, header=False).to_frame(asset)
    if not out:
        raise DataError(f"{directory}: no blockchain.com chart files ({', '.join(BLOCKCHAIN_COM_METRICS)}).csv")
    return out


def read_coinmetrics(path: str | Path, asset: str | None = None) -> dict[str, pd.DataFrame]:
    """Read a CoinMetrics-layout CSV or parquet (``time, AdrActCnt, TxCnt, ...``), one file per asset.

    ``asset`` defaults to the upper-cased file stem (``btc.csv`` -> ``BTC``).
    A directory reads every ``*.csv``/``*.parquet`` in it and joins the assets.
    """
    path = Path(path)
    if path.is_dir():
        merged: dict[str, list[pd.DataFrame]] = {}
        files = sorted([*path.glob("*.csv"), *path.glob("*.parquet")])
        if not files:
            raise DataError(f"{path}: no CoinMetrics CSV or parquet files")
        for f in files:
            for k, v in read_coinmetrics(f).items():
                merged.setdefault(k, []).append(v)
        return {k: pd.concat(v, axis=1) for k, v in merged.items()}
    asset = asset or path.stem.split("_")[0].upper()
    try:
        raw = pd.read_parquet(check_file(path, "CoinMetrics file", max_bytes=MAX_DATA_BYTES, error=DataError)) if path.suffix == ".parquet" else read_csv_text(path, "CoinMetrics file", dtype=None, keep_default_na=True, na_values=None)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read CoinMetrics file: {exc}") from exc
    if "time" not in raw.columns:
        raise DataError(f"{path}: missing column 'time'; expected CoinMetrics layout (time, AdrActCnt, TxCnt, ...)")
    idx = _day_index(raw["time"].astype(str), path, "time")
    out = {}
    for col in raw.columns:
        if col in ("time", "asset"):
            continue
        s = pd.Series(raw[col].to_numpy(), index=idx)
        out[str(col)] = _checked(s, path, str(col)).to_frame(asset)
    return out


def read_defillama_tvl(path: str | Path) -> pd.DataFrame:
    """DefiLlama protocol TVL: long frame ``timestamp (UTC day), asset, tvl`` (USD).

    Accepts the protocol snapshot layout (``protocol, symbol, tvl, timestamp``;
    rows without a token symbol are skipped; TVL of protocols sharing a token
    is summed) or a history layout (``date, symbol, tvl``).
    """
    path = Path(path)
    try:
        raw = read_csv_text(path, "DefiLlama TVL", dtype=None, keep_default_na=True, na_values=None)
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read DefiLlama TVL: {exc}") from exc
    tcol = "timestamp" if "timestamp" in raw.columns else "date"
    if missing := {"symbol", "tvl", tcol} - set(raw.columns):
        raise DataError(f"{path}: missing columns {sorted(missing)}; expected symbol, tvl, timestamp or date")
    raw = raw[raw["symbol"].notna() & (raw["symbol"].astype(str).str.strip() != "-")]
    ts = raw[tcol].ffill().bfill() if tcol == "timestamp" else raw[tcol]
    frame = pd.DataFrame(
        {
            "timestamp": _day_index(ts.astype(str), path, tcol),
            "asset": raw["symbol"].astype(str).str.upper().to_numpy(),
            "tvl": pd.to_numeric(raw["tvl"], errors="coerce").to_numpy(),
        }
    )
    return frame.groupby(["timestamp", "asset"], as_index=False)["tvl"].sum(min_count=1)


def metric_panels(
    metrics: Mapping[str, pd.DataFrame], index: pd.DatetimeIndex, assets: pd.Index
) -> dict[str, pd.DataFrame]:
    """Align metric frames to ``index`` x ``assets`` (NaN where unobserved; rows outside ``index`` dropped)."""
    out = {}
    for name, frame in metrics.items():
        panel = frame.reindex(index=index, columns=assets).astype("float64")
        panel.index.name, panel.columns.name = "timestamp", "asset"
        out[name] = panel
    return out
