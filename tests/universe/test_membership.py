"""Issue 13: asset identity (LUNA), point-in-time membership and the missing_prices policies on the real snapshots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexer.data import MarketData
from indexer.data.registry import Asset, AssetRegistry, DatedSymbol, default_registry
from indexer.data.sources.cmc_membership import members_at
from indexer.exceptions import ConfigError, DataError
from indexer.optimiser.closed_form import cap_weights
from indexer.strategy import Strategy

T = pd.Timestamp("2022-06-01", tz="UTC")


def _strategy(**universe) -> Strategy:
    u = {"top_n": 10, "membership": "cmc_monthly_top200", "exclude_kinds": ["stablecoin"], **universe}
    return Strategy.from_dict({"name": "pit", "universe": u, "optimiser": {"objective": "market_cap", "params": {"max_weight": 0.25}},
                               "rebalance": {"every": "monthly"}})


def test_luna_identity_dated_symbols() -> None:
    reg = default_registry()
    assert reg.resolve("LUNA", "2022-05-27") == "LUNC" and reg["LUNC"].name == "Terra Classic"
    assert reg.resolve("LUNA", "2022-05-28") == "LUNA" and reg["LUNA"].name == "Terra 2.0"
    assert reg.resolve("LUNC", "2022-05-27") is None and reg.resolve("LUNC", "2023-01-01") == "LUNC"
    assert reg.resolve("UST", "2021-06-01") == "USTC" and reg.resolve("USTC", "2022-07-01") == "USTC"
    assert reg.resolve("POL", "2024-10-01") == "MATIC" and reg.resolve("MATIC", "2019-01-01") == "MATIC"
    assert reg.resolve("BCC", "2017-12-31") == "BCCX" and reg.resolve("BCH", "2017-12-31") == "BCH"


def test_registry_rejects_one_symbol_on_two_assets_the_same_day() -> None:
    a = Asset("AAA", "A", "currency", ("x",), (DatedSymbol("AAA"),))
    b = Asset("BBB", "B", "currency", ("x",), (DatedSymbol("AAA", start=pd.Timestamp("2020-01-01").date()),))
    with pytest.raises(DataError, match="symbol 'AAA' claimed by assets 'AAA' and 'BBB' on 2020-01-01"):
        AssetRegistry([a, b])


def test_snapshots_map_luna_to_terra_classic_then_terra_2(reference: MarketData) -> None:
    m = reference.membership["cmc_monthly_top200"]
    may = m[m["snapshot"] == pd.Timestamp("2022-05-01", tz="UTC")].set_index("symbol")
    assert may.loc["LUNA", "asset"] == "LUNC" and may.loc["UST", "asset"] == "USTC"
    octo = m[m["snapshot"] == pd.Timestamp("2022-10-01", tz="UTC")].set_index("symbol")
    assert octo.loc["LUNA", "asset"] == "LUNA" and octo.loc["LUNC", "asset"] == "LUNC"
    assert octo.loc["LUNC", "price"] < 0.001 < octo.loc["LUNA", "price"]
    # MATIC and POL both listed in 2024-10: one member MATIC, the better-ranked POL row
    oct24 = m[m["snapshot"] == pd.Timestamp("2024-10-01", tz="UTC")]
    assert (oct24["asset"] == "MATIC").sum() == 1 and oct24.set_index("asset").loc["MATIC", "symbol"] == "POL"
    w = reference.membership["cmc_weekly_top10"]
    assert set(w.loc[w["symbol"] == "LUNA", "asset"]) == {"LUNC"}  # Terra's top-10 weeks are all before 2022-05-28


def test_members_at_2022_06_01_include_terra_classic(reference: MarketData) -> None:
    snap = members_at(reference.membership["cmc_monthly_top200"], T)
    assert snap["snapshot"].iloc[0] == pd.Timestamp("2022-05-01", tz="UTC")  # the 2022-06-01 snapshot is known from 06-02
    ids = snap["asset"].tolist()
    assert {"LUNC", "USTC", "FTT"} <= set(ids) and ids.index("LUNC") == 7  # rank 8, Terra Classic
    tp = _strategy().target(reference, T)
    m = tp.diagnostics["membership"]
    assert "LUNC" in m["members"] and "USTC" not in m["members"]  # USTC is a stablecoin
    assert [x["asset"] for x in m["missing"]] == ["LUNC"] and m["missing"][0]["name"] == "Terra"


def test_no_member_known_before_its_snapshot_date(reference: MarketData) -> None:
    for name, table in reference.membership.items():
        snaps = sorted(table["snapshot"].unique())
        for s in snaps[:: max(1, len(snaps) // 40)]:
            s = pd.Timestamp(s)
            before = members_at(table, s)  # on the snapshot's own day it is not yet known
            assert before.empty or before["snapshot"].iloc[0] < s, (name, s)
            assert members_at(table, s + pd.Timedelta(days=1))["snapshot"].iloc[0] == s
        view = reference.until(T)
        assert (view.membership[name]["known_from"] <= T).all()
        assert view.membership[name]["snapshot"].max() < T


def test_truncating_the_future_does_not_change_pit_weights(reference: MarketData) -> None:
    s = _strategy(missing_prices="cash")
    for t in ("2021-03-01", "2022-06-01", "2022-12-01"):
        full, cut = s.target(reference, t), s.target(reference.until(t), t)
        pd.testing.assert_series_equal(full.weights, cut.weights)
        assert full.diagnostics["membership"] == cut.diagnostics["membership"]


def test_missing_prices_redistribute_vs_cash_by_hand(reference: MarketData) -> None:
    red = _strategy(missing_prices="redistribute").target(reference, T)
    cash = _strategy(missing_prices="cash").target(reference, T)
    snap = members_at(reference.membership["cmc_monthly_top200"], T)
    chosen = snap[~snap["asset"].map(lambda a: reference.assets.kind(a) == "stablecoin")].head(10)
    nominal = pd.Series(cap_weights(chosen["market_cap"].to_numpy(), 0.25), index=chosen["asset"])
    assert cash.diagnostics["membership"]["missing"][0]["nominal_weight"] == pytest.approx(nominal["LUNC"], rel=1e-12)
    assert red.weights.get("CASH", 0.0) == pytest.approx(0.0, abs=1e-12) and red.weights.sum() == pytest.approx(1.0)
    assert cash.weights["CASH"] == pytest.approx(nominal["LUNC"], rel=1e-9)
    risky = red.weights.drop("CASH", errors="ignore")
    pd.testing.assert_series_equal(cash.weights.drop("CASH") / (1 - nominal["LUNC"]), risky, check_names=False)
    assert "LUNC" not in red.weights.index and red.diagnostics["membership"]["to_cash"] == 0.0


def test_missing_prices_snapshot_prices_holds_terra_through_the_collapse(reference: MarketData) -> None:
    s = _strategy(missing_prices="snapshot_prices")
    data = s.prepare_data(reference)
    luna = data.close["LUNC"]
    assert luna.loc["2022-05-02"] == pytest.approx(82.23954892) and luna.loc["2022-06-01"] == pytest.approx(82.23954892)
    # absent from the June-September snapshots: valued at its next appearance (Terra Classic, 2022-10-01)
    assert luna.loc["2022-06-02"] == pytest.approx(0.00033313) and luna.loc["2022-10-02"] == pytest.approx(0.00033313)
    tp = s.target(data, T)
    assert tp.weights["LUNC"] > 0.05 and not tp.diagnostics["membership"]["missing"]
    assert "LUNC" not in reference.symbols  # the shared reference itself is unchanged


def test_membership_spec_errors(reference: MarketData) -> None:
    with pytest.raises(ConfigError, match="snapshot_prices needs membership: cmc_monthly_top200"):
        _strategy(membership="cmc_weekly_top10", missing_prices="snapshot_prices")
    with pytest.raises(ConfigError, match="missing_prices"):
        _strategy(missing_prices="ignore")
    bare = MarketData(close=reference.close.iloc[:50])
    with pytest.raises(DataError, match="no such membership table"):
        _strategy().target(bare, bare.end)


def test_weekly_top10_uses_the_latest_sunday_known(reference: MarketData) -> None:
    s = Strategy.from_dict({"name": "w", "universe": {"top_n": 10, "membership": "cmc_weekly_top10"}, "optimiser": {"objective": "equal_weight"}})
    tp = s.target(reference, "2017-06-01")
    assert tp.diagnostics["membership"]["snapshot"] == "2017-05-28T00:00:00+00:00"
    assert np.isclose(tp.weights.sum(), 1.0) and tp.weights.get("BTC", 0) > 0


def test_snapshot_prices_view_does_not_change_past_decisions(reference: MarketData) -> None:
    """Absent members take their next appearance's price, but no decision reads it: truncating the future
    before preparing the data gives the same weights."""
    s = _strategy(missing_prices="snapshot_prices")
    full = s.prepare_data(reference)
    for t in ("2021-06-01", "2022-06-01", "2022-11-01"):
        cut = s.prepare_data(reference.until(t))
        pd.testing.assert_series_equal(s.target(full, t).weights, s.target(cut, t).weights)


def test_include_and_snapshot_age_with_membership(reference: MarketData) -> None:
    s = Strategy.from_dict({"name": "w", "universe": {"top_n": 5, "membership": "cmc_weekly_top10", "include": ["LINK"]},
                            "optimiser": {"objective": "equal_weight"}})
    tp = s.target(reference, "2025-06-01")
    m = tp.diagnostics["membership"]
    assert m["snapshot"] == "2024-12-01T00:00:00+00:00" and m["snapshot_age_days"] == 182  # weekly file ends 2024-12-01
    assert "LINK" in tp.weights.index and tp.weights["LINK"] > 0
    assert any(e["rule"] == "include" and e["asset"] == "LINK" for e in tp.diagnostics["universe_log"])
