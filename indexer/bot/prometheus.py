"""Optional Prometheus metrics on 127.0.0.1 (``metrics_port`` in the bot config)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from indexer.bot.rebalancer import RunResult

__all__ = ["BotMetrics"]


class BotMetrics:
    """Counters and gauges of one bot process, in their own registry."""

    def __init__(self, account: str) -> None:
        self.registry = CollectorRegistry()
        self.account = account
        self.runs = Counter("indexer_bot_runs", "Rebalance attempts by outcome", ["account", "status"],
                            registry=self.registry)
        self.orders = Counter("indexer_bot_orders", "Orders recorded by the bot", ["account"], registry=self.registry)
        self.value = Gauge("indexer_bot_portfolio_value", "Portfolio value after the last run (quote units)",
                           ["account"], registry=self.registry)
        self.tracking = Gauge("indexer_bot_tracking_error", "Tracking error after the last run (fraction)",
                              ["account"], registry=self.registry)
        self.last = Gauge("indexer_bot_last_run_timestamp_seconds", "Unix time of the last run", ["account"],
                          registry=self.registry)
        self.server: Any = None

    def serve(self, port: int) -> int:
        """Serve ``/metrics`` on 127.0.0.1:``port`` (0 picks a free port); returns the port."""
        server, _thread = start_http_server(port, addr="127.0.0.1", registry=self.registry)
        self.server = server
        return int(server.server_address[1])

    def observe(self, result: RunResult, at: float) -> None:
        """Record the outcome of one run."""
        self.runs.labels(self.account, result.status).inc()
        self.orders.labels(self.account).inc(result.orders)
        if result.value is not None:
            self.value.labels(self.account).set(result.value)
        if result.tracking_error is not None:
            self.tracking.labels(self.account).set(result.tracking_error)
        self.last.labels(self.account).set(at)

    def close(self) -> None:
        """Stop the HTTP server."""
        if self.server is not None:
            self.server.shutdown()
            self.server = None
