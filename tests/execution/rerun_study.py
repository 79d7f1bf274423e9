"""Does an immediate rerun place orders?  ``rebalance_once`` twice on a paper account (CRO without a market,
as on Binance spot) at every month start 2021-01..the last bar, from cash and from a drifted book.

    .venv/bin/python tests/execution/rerun_study.py                   # both strategies, both starts (~10 min)
    .venv/bin/python tests/execution/rerun_study.py ai_index drifted --ask-again

``--ask-again`` reruns without the decision record (the strategy is asked again from the book the first run
left).  Prints one line per bar and a summary: first runs, their largest tracking error, reruns with orders.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from indexer.data import load_reference  # noqa: E402
from indexer.execution import PaperBroker, RebalanceSettings, rebalance_once  # noqa: E402
from indexer.execution.decisions import DecisionLog  # noqa: E402
from indexer.strategy import Strategy  # noqa: E402
from tests.execution.scenarios import STRATEGIES  # noqa: E402

SETTINGS = RebalanceSettings(risk={"max_turnover": 2.0, "max_order_notional": None, "max_price_deviation": None})


def start_balances(data, as_of: pd.Timestamp, kind: str) -> dict[str, float]:
    """10,000 USDT: all cash, or top10_capped's book with every other asset -30 % / +30 %."""
    if kind == "cash":
        return {"USDT": 10_000.0}
    base = Strategy.from_yaml(STRATEGIES["top10_capped"]).target(data, as_of).weights.drop("CASH")
    last = data.close.ffill().iloc[-1]
    bal = {a: 9_500 * float(x) * (1.3 if i % 2 else 0.7) / float(last[a])
           for i, (a, x) in enumerate(base.items()) if x > 0 and a != "CRO"}
    bal["USDT"] = 10_000 - sum(q * float(last[a]) for a, q in bal.items())
    return bal


def study(reference, name: str, kind: str, ask_again: bool = False) -> tuple[int, float, int]:
    """(first runs, largest first-run tracking error, reruns that placed orders)."""
    strategy = Strategy.from_yaml(STRATEGIES[name])
    end = reference.close.index[-1]
    bars = list(pd.date_range("2021-01-01", end.tz_localize(None), freq="MS", tz="UTC")) + [end]
    runs, worst, traded = 0, 0.0, 0
    for bar in bars:
        data = reference.until(bar)
        broker = PaperBroker.from_market_data(data, balances=start_balances(data, bar, kind), as_of=bar,
                                              slippage_bps=5, assets=[a for a in reference.close.columns if a != "CRO"])
        log = None if ask_again else DecisionLog(Path(tempfile.mkdtemp()), "paper")
        first = rebalance_once(strategy, data, broker, SETTINGS, run_id=f"1-{bar:%Y%m%d}", as_of=bar, decisions=log)
        again = rebalance_once(strategy, data, broker, SETTINGS, run_id=f"2-{bar:%Y%m%d}", as_of=bar, decisions=log)
        runs += 1
        worst = max(worst, first.tracking_error)
        traded += bool(again.plan.orders)
        print(f"{name} {kind} {bar:%Y-%m-%d}: first {first.orders_sent} orders, tracking error "
              f"{first.tracking_error:.3%}; rerun {len(again.plan.orders)} orders "
              f"{[(o.asset, o.side, str(o.value)) for o in again.plan.orders]}", flush=True)
    return runs, worst, traded


def main(argv: list[str]) -> None:
    args = [a for a in argv if not a.startswith("--")]
    names = args[:1] or ["top10_capped", "ai_index"]
    kinds = args[1:2] or ["cash", "drifted"]
    reference = load_reference()
    summary = []
    for name in names:
        for kind in kinds:
            runs, worst, traded = study(reference, name, kind, "--ask-again" in argv)
            summary.append(f"{name} from {kind}: {runs} first runs, largest tracking error {worst:.3%}, "
                           f"{traded} reruns with orders")
    print("\n".join(summary))


if __name__ == "__main__":
    main(sys.argv[1:])
