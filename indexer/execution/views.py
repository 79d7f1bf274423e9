"""Rich renderings of an :class:`~indexer.execution.planner.OrderPlan` and an execution report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
from rich.console import Group
from rich.table import Table

if TYPE_CHECKING:  # pragma: no cover
    from indexer.execution.executor import ExecutionReport
    from indexer.execution.planner import OrderPlan

__all__ = ["plan_view", "report_view", "weights_table"]


def weights_table(title: str, columns: dict[str, pd.Series]) -> Table:
    """Assets x named weight columns (percent shown, fractions stored)."""
    t = Table(title=title)
    t.add_column("asset")
    for name in columns:
        t.add_column(name, justify="right")
    idx = sorted(set().union(*[set(s.index) for s in columns.values()]), key=lambda a: (a == "CASH", a))
    for a in idx:
        vals = [float(s.get(a, 0.0)) for s in columns.values()]
        if all(abs(v) < 1e-12 for v in vals):
            continue
        t.add_row(a, *[f"{v:.2%}" for v in vals])
    return t


def plan_view(plan: OrderPlan) -> Any:
    """Orders, skipped trades and current / target / expected weights."""
    orders = Table(title=f"Order plan ({plan.quote} {plan.portfolio_value:,.2f}, as of {plan.as_of})")
    for col in ("leg", "side", "symbol", "amount", "price", f"value {plan.quote}", "note"):
        orders.add_column(col, justify="right" if col in ("leg", "amount", "price") or col.startswith("value") else "left")
    for o in plan.orders:
        colour = "red" if o.side == "sell" else "green"
        orders.add_row(str(o.leg), f"[{colour}]{o.side}[/]", o.symbol, f"{o.amount.normalize():f}",
                       f"{o.price:.10g}", f"{o.value:,.2f}", o.note)
    parts: list[Any] = [orders]
    if plan.skipped:
        sk = Table(title="Not traded")
        sk.add_column("asset")
        sk.add_column(f"value {plan.quote}", justify="right")
        sk.add_column("reason")
        for s in plan.skipped:
            sk.add_row(s.asset, f"{s.value:,.2f}", s.reason)
        parts.append(sk)
    for note in plan.notes:
        parts.append(f"[yellow]note:[/] {note}")
    parts.append(weights_table("Weights", {"current": plan.current_weights, "target": plan.target_weights,
                                           "expected": plan.expected_weights}))
    parts.append(f"turnover {plan.turnover:.2%}, estimated fees {plan.fee_estimate:,.2f} {plan.quote}, "
                 f"residual tracking error {plan.tracking_error:.3%} of portfolio value")
    return Group(*parts)


def report_view(report: ExecutionReport) -> Any:
    """Tabulate the fills, fees and post-trade weights of an execution."""
    fills = Table(title=f"Fills (run {report.run_id})")
    for col in ("side", "symbol", "amount", "price", "fee", "order"):
        fills.add_column(col, justify="right" if col in ("amount", "price", "fee") else "left")
    for f in report.fills:
        fills.add_row(f.side, f.symbol, f"{f.amount.normalize():f}", f"{f.price:.10g}",
                      f"{f.fee.normalize():f} {f.fee_currency}", f.client_order_id or f.order_id)
    parts: list[Any] = [fills]
    for a in report.adjustments:
        parts.append(f"[yellow]re-sized:[/] {a}")
    if report.errors:
        parts.append("[bold red]errors:[/]\n" + "\n".join(f"  {e}" for e in report.errors))
    parts.append(weights_table("Post-trade weights", {"target": report.target_weights, "after": report.post_weights}))
    fees = ", ".join(f"{v.normalize():f} {c}" for c, v in report.fees.items()) or "none"
    parts.append(f"fees: {fees} (= {report.fees_quote:,.4f} {report.quote}); tracking error after trading "
                 f"{report.tracking_error:.3%}; orders {len(report.orders)} accepted, {report.rejected} rejected; "
                 f"retries {report.retries}")
    return Group(*parts)
