"""An immediate rerun places no order: ``rebalance_once`` twice on a paper account where CRO has no market,
at the decision dates where the first run used to leave a book the second run traded again, and the
decision record that keeps one decision per bar."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from indexer.exceptions import DataError
from indexer.execution import PaperBroker, RebalanceHooks, RebalanceSettings, rebalance_once
from indexer.execution.decisions import DecisionLog
from indexer.strategy import Strategy

from .scenarios import STRATEGIES

SETTINGS = RebalanceSettings(risk={"max_turnover": 2.0, "max_order_notional": None, "max_price_deviation": None})


def _paper(reference, as_of: pd.Timestamp, start: str) -> PaperBroker:
    data = reference.until(as_of)
    bal: dict[str, float] = {"USDT": 10_000.0}
    if start == "drifted":  # top10_capped's book, every other asset -30 % / +30 % (as tests/execution/scenarios.py)
        base = Strategy.from_yaml(STRATEGIES["top10_capped"]).target(data, as_of).weights.drop("CASH")
        last = data.close.ffill().iloc[-1]
        bal = {a: 9_500 * float(x) * (1.3 if i % 2 else 0.7) / float(last[a])
               for i, (a, x) in enumerate(base.items()) if x > 0 and a != "CRO"}
        bal["USDT"] = 10_000 - sum(q * float(last[a]) for a, q in bal.items())
    return PaperBroker.from_market_data(data, balances=bal, as_of=as_of, slippage_bps=5,
                                        assets=[a for a in reference.close.columns if a != "CRO"])


# ai_index at these bars wants CRO next to assets at their 30 % cap: spread pro rata (before the caps) it
# pushed them over 30 %, and once they were full it went to optimiser-noise weights (1e-12), a 10 % BCH
# position the strategy never chose; the rerun sold it again.
@pytest.mark.parametrize("bar", ["2023-12-01", "2024-05-01", "2025-08-01", "2025-09-01", "2025-10-01"])
def test_ai_index_rerun_from_cash_places_nothing_even_when_asked_again(reference, bar):
    as_of = pd.Timestamp(bar, tz="UTC")
    strategy = Strategy.from_yaml(STRATEGIES["ai_index"])
    broker = _paper(reference, as_of, "cash")
    first = rebalance_once(strategy, reference.until(as_of), broker, SETTINGS, run_id=f"a-{bar}", as_of=as_of)
    assert first.status == "executed" and first.ok and first.tracking_error <= 0.005
    assert [u.asset for u in first.plan.untradeable] == ["CRO"]
    assert first.plan.target_weights.drop("CASH").max() <= 0.3 + 1e-9  # the strategy's own cap
    again = rebalance_once(strategy, reference.until(as_of), broker, SETTINGS, run_id=f"b-{bar}", as_of=as_of)
    assert again.status == "nothing_to_do", [(o.asset, o.side, o.value) for o in again.plan.orders]


def test_a_rerun_reuses_the_decision_of_the_bar(reference, tmp_path):
    """ai_index from a drifted book on 2021-06-01 (regime filter at half exposure): the first run sells and
    buys; asked again from the book it left, the turnover-penalised optimiser answers differently (its
    previous weights are now the halved, post-trade book). One decision per bar: the rerun trades to the
    recorded target, which the book already holds."""
    as_of = pd.Timestamp("2021-06-01", tz="UTC")
    strategy, data = Strategy.from_yaml(STRATEGIES["ai_index"]), reference.until(as_of)
    log = DecisionLog(tmp_path, "paper-account")
    broker = _paper(reference, as_of, "drifted")
    first = rebalance_once(strategy, data, broker, SETTINGS, run_id="first", as_of=as_of, decisions=log)
    assert first.status == "executed" and first.ok and first.tracking_error <= 0.005
    assert log.load(strategy, as_of).target.weights.equals(first.target.weights)
    again = rebalance_once(strategy, data, broker, SETTINGS, run_id="again", as_of=as_of, decisions=log)
    assert again.status == "nothing_to_do" and "reused from run first" in again.notes[0]
    asked = rebalance_once(strategy, data, broker, SETTINGS, run_id="asked", as_of=as_of, hooks=_NoOrders())
    assert asked.status == "stopped" and asked.plan.orders  # why the decision is kept: it would trade again


class _NoOrders(RebalanceHooks):
    """Look at the plan, stop before any order."""

    def on_plan(self, plan, run_id) -> bool:  # noqa: ANN001
        return False


def test_decision_record_is_per_strategy_account_and_bar(reference, tmp_path):
    from indexer._typing import TargetPortfolio

    s = Strategy.from_yaml(STRATEGIES["top10_capped"])
    bar = pd.Timestamp("2025-10-24", tz="UTC")
    t = TargetPortfolio(bar, pd.Series({"BTC": 0.6, "ETH": 0.4}))
    log = DecisionLog(tmp_path, "acct-1")
    assert log.load(s, bar) is None
    path = log.save(s, t, "run-1")
    got = log.load(s, bar)
    assert got.run_id == "run-1" and got.target.weights.equals(t.weights) and got.target.as_of == bar
    assert DecisionLog(tmp_path, "acct-2").load(s, bar) is None  # another account
    assert log.load(s, bar + pd.Timedelta(days=1)) is None  # another bar
    edited = Strategy.from_dict({**s.spec.model_dump(mode="json"), "description": "edited"})
    assert log.load(edited, bar) is None  # an edited strategy decides anew
    log.forget(s, bar)
    assert log.load(s, bar) is None
    path.write_text(json.dumps({"run_id": "x"}))
    with pytest.raises(DataError, match=f"decision record {path}: unreadable"):
        log.load(s, bar)
