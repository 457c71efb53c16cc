"""The embedded default's payment SIMULATOR: "alipay" works, and pays only by an operator's action."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from tests.api.account_support import sign_in_with_address
from tests.conftest import ShopClient, open_client
from tests.fakes.tasks import RecordingTaskQueue
from tests.ordering_support import OrderingShop
from typer.testing import CliRunner

from jiadian.adapters.alipay import SimulatedGateway
from jiadian.adapters.clock import FixedClock
from jiadian.application.tasks import ShipOrder
from jiadian.container import Container
from jiadian.entrypoints.cli.main import app as cli


@pytest.fixture
async def client(sqlite: Container) -> AsyncIterator[ShopClient]:
    sqlite.task_queue.override(providers.Object(RecordingTaskQueue()))
    async for c in open_client(sqlite):
        yield c


async def sign_in(client: ShopClient, container: Container, name: str, *, admin: bool = False) -> int:
    user_id, _address = await sign_in_with_address(client, container, name, admin=admin)
    return user_id


async def place(client: ShopClient, container: Container, clock: FixedClock) -> dict[str, Any]:
    sku = await OrderingShop(container, clock).given_sku(price="50.00")
    address = (await client.get("/api/me/addresses")).json()[0]["id"]
    response = await client.post(
        "/api/orders", json={"buy_now": {"sku_id": sku.id, "count": 1}, "address_id": address}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_embedded_default_pays_alipay_orders_only_through_the_operator(
    client: ShopClient, sqlite: Container, clock: FixedClock
) -> None:
    assert isinstance(sqlite.payment_gateway(), SimulatedGateway)
    buyer = await sign_in(client, sqlite, "alice")
    order = await place(client, sqlite, clock)

    answer = await client.post(f"/api/orders/{order['order_id']}/payments", json={"method": "alipay"})

    assert answer.status_code == 200, answer.text
    url = answer.json()["payment_url"]
    assert url == f"http://127.0.0.1:8000/api/payments/simulator/{order['trade_no']}"
    # The cashier sends the buyer to the storefront's page of the order, which says it is test mode.
    page = await client.get(httpx.URL(url).path, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == f"/#/pay/{order['order_id']}/test-mode"
    unknown = await client.get("/api/payments/simulator/%3Cscript%3E", follow_redirects=False)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    assert (await client.get(f"/api/orders/{order['order_id']}")).json()[
        "status"
    ] == 1  # seeing is not paying

    # Nobody but an operator can make the simulator pay; a forged notification fails.
    simulate = f"/api/admin/payments/simulator/{order['order_id']}/pay"
    assert (await client.post(simulate)).status_code == 403
    forged = {"out_trade_no": order["trade_no"], "trade_status": "TRADE_SUCCESS", "app_id": "simulator"}
    assert (await client.post("/api/payments/alipay/notify", data=forged)).text == "fail"

    other = await place(client, sqlite, clock)
    await sign_in(client, sqlite, "root", admin=True)
    short = await client.post(
        f"/api/admin/payments/simulator/{other['order_id']}/pay", json={"amount": "0.01"}
    )
    assert (short.status_code, short.json()["verdict"], short.json()["acknowledged"]) == (
        200,
        "amount_mismatch",
        False,
    )
    assert short.json()["order"]["status"] == 1
    paid = await client.post(simulate)
    assert paid.status_code == 200, paid.text
    assert (paid.json()["verdict"], paid.json()["order"]["status"], paid.json()["order"]["pay_method"]) == (
        "applied",
        2,
        "alipay",
    )
    again = await client.post(f"/api/admin/payments/simulator/{order['trade_no']}/pay")
    assert again.json()["verdict"] == "duplicate"
    listed = (await client.get("/api/admin/payments")).json()
    assert [(p["order_id"], p["user_id"], p["state"], p["amount"]) for p in listed["items"]] == [
        (order["order_id"], buyer, "applied", "60.00")
    ]
    verdicts = [n["verdict"] for n in (await client.get("/api/admin/payments/notifications")).json()]
    assert verdicts == ["duplicate", "applied", "amount_mismatch", "unsigned"]
    mine = (
        await client.get("/api/admin/payments/notifications", params={"trade_no": order["trade_no"]})
    ).json()
    assert [n["verdict"] for n in mine] == ["duplicate", "applied", "unsigned"]
    queue = sqlite.task_queue()
    assert isinstance(queue, RecordingTaskQueue)
    assert ShipOrder(order["order_id"]) in [task for task, _ in queue.sent]
    for unknown in (999, 2**64):  # (an id past BIGINT must not reach the database)
        missing = await client.post(f"/api/admin/payments/{unknown}/refunded")
        assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    bad_state = await client.get("/api/admin/payments", params={"state": "bogus"})
    assert (bad_state.status_code, bad_state.json()["code"]) == (400, "validation_error")


async def test_simulate_pay_from_the_command_line(
    client: ShopClient, sqlite: Container, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sign_in(client, sqlite, "alice")
    order = await place(client, sqlite, clock)
    other = await place(client, sqlite, clock)
    monkeypatch.setenv("JIADIAN_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("JIADIAN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}")
    monkeypatch.setenv("COLUMNS", "250")

    def jiadian(*args: str) -> Any:
        return asyncio.to_thread(CliRunner().invoke, cli, ["payments", *args])

    short = await jiadian("simulate-pay", other["order_id"], "--amount", "1.00")
    assert short.exit_code == 1, short.output
    assert "amount_mismatch" in short.output
    paid = await jiadian("simulate-pay", order["order_id"])
    assert paid.exit_code == 0, paid.output
    assert "applied (success)" in paid.output
    assert (await client.get(f"/api/orders/{order['order_id']}")).json()["status"] == 2
    unknown = await jiadian("simulate-pay", "nope")
    assert (unknown.exit_code, "not_found" in unknown.output) == (1, True)
    shown = await jiadian("notifications", "--trade-no", other["trade_no"])
    assert shown.output.count("simulator") == 1
    assert "amount_mismatch" in shown.output
    listed = await jiadian("list")
    assert order["order_id"] in listed.output
    assert "applied" in listed.output
