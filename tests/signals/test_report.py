"""The evaluation tables exported from ``indexer.signals`` (the numbers behind ``indexer signals report``)."""

from __future__ import annotations

import numpy as np

import indexer.signals as sig
from indexer.signals import cross_sectional_report, default_spec, ic_summary, time_series_report


def test_report_functions_are_public() -> None:
    for name in ("cross_sectional_report", "time_series_report", "default_spec"):
        assert name in sig.__all__
        assert getattr(sig, name).__doc__


def test_cross_sectional_report_matches_ic_summary(reference) -> None:
    data = reference.between("2022-01-01", "2023-06-30")
    spec = default_spec(["momentum", "volume"], model="fixed", horizon=7)
    table, extra = cross_sectional_report(data, spec, horizon=7, horizons=(1, 7))
    assert list(table.index) == ["momentum", "volume", "blend[fixed]"]
    assert {"IC7d", "IC1d", "IR", "t", "hit", "spread", "turn1d"} <= set(table.columns)
    # the table's IC is the mean of the daily IC series it hands back for plotting
    ic = extra["ic"]["volume"]
    assert np.isclose(table.loc["volume", "IC7d"], ic.mean())
    assert np.isclose(table.loc["volume", "IC7d"], ic_summary(ic, 7)["mean"])
    assert ic.notna().sum() == table.loc["volume", "days"]


def test_time_series_report_one_asset(reference) -> None:
    data = reference.between("2021-01-01", "2023-12-31")
    spec = default_spec(["momentum"], model="fixed", horizon=30)
    table = time_series_report(data, spec, "BTC", horizon=30)
    assert list(table.index) == ["momentum"]
    row = table.loc["momentum"]
    assert row["horizon"] == 30 and row["n"] > 10 and -1.0 <= row["tsIC"] <= 1.0
