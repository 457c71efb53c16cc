"""Metrics (/metrics, the business counters, the sampled gauges, several processes), request ids in logs
and tasks, JSON logs, and `jiadian status`."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from dramatiq.brokers.stub import StubBroker
from typer.testing import CliRunner

from jiadian import logs
from jiadian.adapters import prometheus
from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.metrics import MemoryMetrics
from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.sql.migrate import upgrade
from jiadian.adapters.tasks.broker import DramatiqTaskQueue
from jiadian.adapters.tasks.dispatch import TaskDispatcher
from jiadian.application.checkout import BuyNow, CheckoutRequest
from jiadian.application.tasks import ShipOrder
from jiadian.container import Container, build_container, shutdown
from jiadian.domain.errors import InsufficientStock
from jiadian.domain.wallet import InsufficientBalance
from jiadian.entrypoints.cli.main import app as cli
from jiadian.entrypoints.http.app import create_app
from jiadian.entrypoints.worker import sample
from tests.conftest import ShopClient, settings_for
from tests.ordering_support import OrderingShop

ROOT = Path(__file__).resolve().parents[2]


async def client_of(container: Container, peer: str = "127.0.0.1") -> AsyncIterator[ShopClient]:
    app = create_app(container, prepare_database=False)
    async with app.lifespan():  # type: ignore[attr-defined]
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        async with ShopClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def scrape(client: ShopClient, **headers: str) -> httpx.Response:
    return await client.get("/metrics", headers=headers)


async def test_requests_are_counted_by_route_template_not_raw_path(sqlite: Container) -> None:
    await upgrade(sqlite.engine())
    async for client in client_of(sqlite):
        for product_id in (987654, 987655):
            assert (await client.get(f"/api/catalog/products/{product_id}")).status_code == 404
        text = (await scrape(client)).text
    line = next(
        ln for ln in text.splitlines()
        if ln.startswith("jiadian_http_request_duration_seconds_count") and "/api/catalog/products/{" in ln
        and 'status="404"' in ln
    )  # fmt: skip
    assert float(line.rsplit(" ", 1)[1]) >= 2
    assert "987654" not in text


@pytest.mark.parametrize(
    ("overrides", "peer", "headers", "status"),
    [
        ({}, "127.0.0.1", {}, 200),
        ({}, "10.1.2.3", {}, 403),
        ({"metrics_token": "s3cret"}, "10.1.2.3", {}, 401),
        ({"metrics_token": "s3cret"}, "10.1.2.3", {"authorization": "Bearer wrong"}, 401),
        ({"metrics_token": "s3cret"}, "10.1.2.3", {"authorization": "Bearer s3cret"}, 200),
        ({"metrics_port": 9464}, "127.0.0.1", {}, 404),
        (
            {"metrics_token": ""},
            "10.1.2.3",
            {},
            403,
        ),  # an empty token is no token  # served by `jiadian serve` on its own port
    ],
)
async def test_metrics_are_protected_as_configured(
    tmp_path: Path,
    migrated_sqlite: Path,
    overrides: dict[str, Any],
    peer: str,
    headers: dict[str, str],
    status: int,
) -> None:
    container = build_container(
        settings_for(tmp_path, database_url=f"sqlite+aiosqlite:///{migrated_sqlite}", **overrides)
    )
    async for client in client_of(container, peer):
        response = await scrape(client, **headers)
    assert response.status_code == status
    if status == 200:
        assert response.headers["content-type"].startswith("text/plain")
        assert "jiadian_orders_placed_total" in response.text


async def test_orders_and_payments_are_counted(
    memory: tuple[Container, MemoryState], clock: FixedClock
) -> None:
    container, _state = memory
    counted = MemoryMetrics()
    container.metrics.override(providers.Object(counted))
    shop = OrderingShop(container, clock)
    sku = await shop.given_sku(price="10.00", stock=1)
    user, address = await shop.given_buyer(balance="25.00")  # the first order: 10.00 + 10.00 freight
    checkout, orders = container.checkout(), container.orders()

    order = await checkout.place(user, CheckoutRequest(buy_now=BuyNow(sku.id, 1)), address_id=address)
    with pytest.raises(InsufficientStock):
        await checkout.place(user, CheckoutRequest(buy_now=BuyNow(sku.id, 1)), address_id=address)
    await orders.pay(user, order.id, "wallet")
    second = await shop.given_sku(price="50.00", stock=1)
    unpaid = await checkout.place(user, CheckoutRequest(buy_now=BuyNow(second.id, 1)), address_id=address)
    with pytest.raises(InsufficientBalance):
        await orders.pay(user, unpaid.id, "wallet")
    assert counted.counts == {
        ("order_placed",): 2,
        ("order_refused", "insufficient_stock"): 1,
        ("payment_applied", "wallet"): 1,
        ("payment_refused", "wallet", "insufficient_balance"): 1,
    }


def test_the_prometheus_counters_render() -> None:
    metrics = prometheus.PrometheusMetrics()
    metrics.order_refused("rate_limited_test")
    metrics.payment_refused("alipay", "bad_signature_test")
    text = prometheus.render().decode()
    assert 'jiadian_orders_refused_total{reason="rate_limited_test"} 1.0' in text
    assert 'jiadian_payments_refused_total{method="alipay",reason="bad_signature_test"} 1.0' in text


async def test_the_sampled_gauges(sqlite: Container) -> None:
    await upgrade(sqlite.engine())
    await sample(sqlite)
    text = prometheus.render().decode()
    for expected in (
        'jiadian_up{dependency="database"} 1.0',
        'jiadian_up{dependency="blobs"} 1.0',
        'jiadian_task_queue_depth{state="delayed"}',
        'jiadian_stock_gate_drift{direction="under"} 0.0',
        "jiadian_payments_pending 0.0",
        "jiadian_db_pool_size",
    ):
        assert expected in text, expected


def test_several_processes_add_up(tmp_path: Path) -> None:
    """As `jiadian serve --workers 2` does: each process writes its files, one reads them all."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = "from jiadian.adapters import prometheus as p; assert p.MULTIPROCESS; p.PrometheusMetrics().order_placed()"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, timeout=120)
    read = "from jiadian.adapters import prometheus as p; print(p.render().decode())"
    out = subprocess.run(
        [sys.executable, "-c", read], env=env, check=True, timeout=120, capture_output=True, text=True
    )
    assert "jiadian_orders_placed_total 2.0" in out.stdout


def test_serve_shares_the_workers_metrics_through_a_fresh_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jiadian.entrypoints.cli.main import MULTIPROC_ENV, share_metrics

    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    settings = settings_for(tmp_path)
    assert share_metrics(settings, 1) is False
    (tmp_path / "prometheus").mkdir()
    (tmp_path / "prometheus" / "counter_1.db").write_bytes(b"old")
    assert share_metrics(settings, 2) is True
    assert os.environ[MULTIPROC_ENV] == str(tmp_path / "prometheus")
    assert not list((tmp_path / "prometheus").iterdir())  # a previous run's values do not add up


# --- request ids ----------------------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Any:
    """The shop's JSON log lines of this test, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RequestIdFilter())
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


async def test_the_request_id_reaches_the_use_case_and_the_task_it_schedules(
    sqlite: Container, json_log: Any
) -> None:
    """Asking for a code logs in the use case; the inline task then "mails" it (the console mailer logs)."""
    await upgrade(sqlite.engine())
    async for client in client_of(sqlite):
        asked = await client.post(
            "/api/auth/verification-codes",
            json={"username": "newcomer", "email": "new@example.com"},
            headers={"x-request-id": "req-42"},
        )
        assert asked.status_code == 202
        assert asked.headers["x-request-id"] == "req-42"
        await sqlite.task_queue().join()  # type: ignore[attr-defined]
        made = await client.get("/health", headers={"x-request-id": "bad id\n with spaces"})
    assert made.headers["x-request-id"] != "bad id\n with spaces"
    mailed = [line for line in json_log() if "new@example.com" in line["message"]]
    assert mailed
    assert {line["request_id"] for line in mailed} == {"req-42"}


async def test_a_dramatiq_message_carries_the_request_id_to_the_worker() -> None:
    broker = StubBroker()
    broker.emit_after("process_boot")
    queue = DramatiqTaskQueue(broker, "jiadian_rid")
    token = logs.request_id.set("req-7")
    try:
        await queue.send(ShipOrder("O1"))
    finally:
        logs.request_id.reset(token)
    message = broker.queues["jiadian_rid"].get_nowait()
    assert json.loads(message)["kwargs"] == {"request_id": "req-7"}

    seen: list[str | None] = []

    async def handle(_task: ShipOrder) -> None:
        seen.append(logs.request_id.get())

    queue.serve(TaskDispatcher({ShipOrder: handle}))
    await queue._perform("ShipOrder", {"order_id": "O1"}, request_id="req-7")
    assert seen == ["req-7"]
    assert logs.request_id.get() is None  # not left behind for the next task
    await queue.close()


def test_json_logs_are_one_object_per_line() -> None:
    formatter = logs.JsonFormatter()
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "jiadian.x", logging.ERROR, __file__, 1, "failed %s", ("once",), sys.exc_info()
        )
    record.request_id = "r1"
    line = formatter.format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert (entry["level"], entry["logger"], entry["message"], entry["request_id"]) == (
        "ERROR",
        "jiadian.x",
        "failed once",
        "r1",
    )
    assert "ValueError: boom" in entry["exception"]


def test_the_log_handler_writes_to_the_stderr_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cause of the "--- Logging error --- I/O operation on closed file" blocks: a handler bound to a
    stream that was replaced and closed since."""
    handler = logs.StderrHandler()
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    first.close()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    handler.emit(logging.LogRecord("x", logging.WARNING, __file__, 1, "hello", None, None))
    assert "hello" in second.getvalue()


# --- jiadian status --------------------------------------------------------------------------------------


def test_status_at_a_glance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("JIADIAN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("JIADIAN_VAR_DIR", str(tmp_path))
    unmigrated = CliRunner().invoke(cli, ["status"])
    assert unmigrated.exit_code == 69, unmigrated.output
    assert "failed" in unmigrated.output
    assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    healthy = CliRunner().invoke(cli, ["status"])
    assert healthy.exit_code == 0, healthy.output
    out = " ".join(healthy.output.split())
    for expected in (
        "database │ ok",
        "blobs │ ok",
        "task queue: 0 ready",
        "stock gate: 0 skus gated",
        "pending trades: 0",
    ):
        assert expected in out, out
    monkeypatch.setenv("JIADIAN_BROKER", "redis")
    monkeypatch.setenv("JIADIAN_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    down = CliRunner().invoke(cli, ["status"])
    assert down.exit_code == 69, down.output
    assert "Traceback" not in down.output


async def test_shutdown_closes_what_status_opened(tmp_path: Path) -> None:
    container = build_container(settings_for(tmp_path))
    await container.operations().checks()
    await shutdown(container)


def test_the_metrics_port_serves_them_apart(tmp_path: Path) -> None:
    """`jiadian serve` with JIADIAN_METRICS_PORT: a thread of the serving process answers on that port."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    prometheus.PrometheusMetrics().order_refused("metrics_port_test")
    prometheus.serve_on_port(port, "127.0.0.1", several_processes=False)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    assert 'jiadian_orders_refused_total{reason="metrics_port_test"}' in text


def test_serve_writes_no_access_log_line_per_request(tmp_path: Path) -> None:
    """uvicorn's access log stays off under the shop's logging (a line per request costs more than it)."""
    import uvicorn

    from jiadian.entrypoints.cli.main import server_options

    options = server_options(settings_for(tmp_path), host=None, port=None, workers=None)
    uvicorn.Config("jiadian.entrypoints.http.asgi:app", **options).configure_logging()
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        logs.configure_logging("INFO", "text")
        access = logging.getLogger("uvicorn.access")
        assert not access.propagate or not access.isEnabledFor(logging.INFO)
    finally:
        for handler in [h for h in root.handlers if h not in before[0]]:
            root.removeHandler(handler)
        root.setLevel(before[1])


async def test_gateway_callbacks_are_counted_once(memory: tuple[Container, MemoryState]) -> None:
    container, _state = memory
    counted = MemoryMetrics()
    container.metrics.override(providers.Object(counted))
    payments = container.payments()
    await payments.notify({"out_trade_no": "T1", "sign": "forged"}, client="10.0.0.9")
    simulator = container.payment_simulator()
    assert simulator is not None
    from decimal import Decimal

    await payments.notify(dict(simulator.pay("T-not-ours", Decimal("1.00"))), client="10.0.0.9")
    assert counted.counts == {
        ("payment_refused", "simulator", "missing_fields"): 1,
        ("payment_refused", "simulator", "unknown_trade"): 1,
    }
