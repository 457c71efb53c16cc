"""Prometheus metrics (prometheus-client): what the shop counts, and the page `/metrics` serves.

Several processes (`jiadian serve --workers N`, `jiadian worker`) share their figures through
prometheus-client's multiprocess mode: every process writes its values to files under
`PROMETHEUS_MULTIPROC_DIR`, and whichever answers `/metrics` adds them up. `jiadian serve` with more
than one worker makes that directory itself (`<var_dir>/prometheus`, emptied at each start) when the
variable is not set; set it (the same for `jiadian worker` on that machine) to choose it.
prometheus-client picks its storage when first imported, so the variable must be set before the
process starts — `MULTIPROCESS` says what this process got.

Counters move on the hot paths (a request, an order, a payment): each costs a dictionary look-up and
an add. The gauges that need a query (pools, queue depth, gate drift, pending trades) are sampled every
`metrics_sample_seconds` by each process (`sample`), off the requests' path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

from jiadian.application.operations import Health

MULTIPROCESS = values.ValueClass is not values.MutexValue
CONTENT_TYPE = CONTENT_TYPE_LATEST

HTTP_REQUESTS = Histogram(
    "jiadian_http_request_duration_seconds",
    "HTTP requests by route template (not raw path), method and status, with their latency",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ORDERS_PLACED = Counter("jiadian_orders_placed", "Orders placed")
ORDERS_REFUSED = Counter("jiadian_orders_refused", "Orders refused, by the code of the refusal", ["reason"])
PAYMENTS_APPLIED = Counter("jiadian_payments_applied", "Payments applied to orders, by method", ["method"])
PAYMENTS_REFUSED = Counter(
    "jiadian_payments_refused",
    "Payments refused (wallet) or callbacks not applied (gateway), by method and reason",
    ["method", "reason"],
)
TASKS_FAILED = Counter(
    "jiadian_tasks_failed", "Background tasks that raised (retried by the broker)", ["task"]
)

# Sampled figures. Per process, added up over the live ones:
DB_POOL_IN_USE = Gauge(
    "jiadian_db_pool_in_use", "Database connections checked out", multiprocess_mode="livesum"
)
DB_POOL_SIZE = Gauge(
    "jiadian_db_pool_size", "Database connections the pools keep", multiprocess_mode="livesum"
)
REDIS_POOL_IN_USE = Gauge(
    "jiadian_redis_pool_in_use",
    "Redis connections in use (cart, cache, sessions)",
    multiprocess_mode="livesum",
)
REDIS_POOL_MAX = Gauge(
    "jiadian_redis_pool_max", "Redis connections the pools may open", multiprocess_mode="livesum"
)
# ... and the shop's, the same whichever process sampled them last:
UP = Gauge(
    "jiadian_up", "1 when the dependency answers its probe", ["dependency"], multiprocess_mode="mostrecent"
)
QUEUE_DEPTH = Gauge(
    "jiadian_task_queue_depth", "Messages in the task queue: ready, delayed, failed (dead)", ["state"],
    multiprocess_mode="mostrecent",
)  # fmt: skip
GATE_GATED = Gauge("jiadian_stock_gate_skus", "Skus behind the stock gate", multiprocess_mode="mostrecent")
GATE_DRIFT = Gauge(
    "jiadian_stock_gate_drift",
    "Stock gate tokens against the database's stock, summed: over (harmless) and under (refuses buyers)",
    ["direction"],
    multiprocess_mode="mostrecent",
)
PENDING_TRADES = Gauge(
    "jiadian_payments_pending", "Gateway trades started and not settled", multiprocess_mode="mostrecent"
)

_requests: dict[tuple[str, str, int], Any] = {}
_refused: dict[str, Any] = {}
_applied: dict[str, Any] = {}
_payments_refused: dict[tuple[str, str], Any] = {}
_tasks: dict[str, Any] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status)
    child = _requests.get(key)
    if child is None:
        child = _requests[key] = HTTP_REQUESTS.labels(method, route, str(status))
    child.observe(seconds)


def task_failed(task: str) -> None:
    child = _tasks.get(task)
    if child is None:
        child = _tasks[task] = TASKS_FAILED.labels(task)
    child.inc()


class PrometheusMetrics:
    """The `ShopMetrics` port on prometheus-client's counters."""

    def order_placed(self) -> None:
        ORDERS_PLACED.inc()

    def order_refused(self, reason: str) -> None:
        child = _refused.get(reason)
        if child is None:
            child = _refused[reason] = ORDERS_REFUSED.labels(reason)
        child.inc()

    def payment_applied(self, method: str) -> None:
        child = _applied.get(method)
        if child is None:
            child = _applied[method] = PAYMENTS_APPLIED.labels(method)
        child.inc()

    def payment_refused(self, method: str, reason: str) -> None:
        key = (method, str(reason))
        child = _payments_refused.get(key)
        if child is None:
            child = _payments_refused[key] = PAYMENTS_REFUSED.labels(*key)
        child.inc()


def record_health(health: Health) -> None:
    for dependency, result in health.checks.items():
        UP.labels(dependency).set(1 if result == "ok" else 0)
    if health.queue is not None:
        QUEUE_DEPTH.labels("ready").set(health.queue.ready)
        QUEUE_DEPTH.labels("delayed").set(health.queue.delayed)
        QUEUE_DEPTH.labels("failed").set(health.queue.failed)
    if health.gate is not None:
        GATE_GATED.set(health.gate.gated)
        GATE_DRIFT.labels("over").set(health.gate.over)
        GATE_DRIFT.labels("under").set(health.gate.under)
    if health.pending_trades is not None:
        PENDING_TRADES.set(health.pending_trades)


def record_pools(pools: Mapping[str, tuple[int, int]]) -> None:
    """`{"database": (in use, size), "redis": (in use, max)}` of this process."""
    if "database" in pools:
        DB_POOL_IN_USE.set(pools["database"][0])
        DB_POOL_SIZE.set(pools["database"][1])
    if "redis" in pools:
        REDIS_POOL_IN_USE.set(pools["redis"][0])
        REDIS_POOL_MAX.set(pools["redis"][1])


def render() -> bytes:
    """The exposition text: every process's values in multiprocess mode, else this process's."""
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def prepare_directory(path: Path) -> None:
    """An empty directory for the processes' files (the values of a previous run must not add up)."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def process_ended(pid: int | None = None) -> None:
    """Drop a process's live gauges (call as it stops); its counters stay in the totals."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(pid or os.getpid())  # type: ignore[no-untyped-call]


def serve_on_port(port: int, host: str, *, several_processes: bool) -> None:
    """Serve the metrics on a port of their own, from a thread of this process (`jiadian serve`, before
    its workers start): every worker's values when `several_processes`, else this process's."""
    from prometheus_client import start_http_server

    registry = REGISTRY
    if several_processes:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    start_http_server(port, addr=host, registry=registry)
