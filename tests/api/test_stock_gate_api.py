"""The stock gate over HTTP: an operator opens, reads, re-syncs and closes it; shoppers' orders and
cancellations move its tokens (the embedded default: the gate in the shop's own memory)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from tests.api.account_support import sign_in_with_address
from tests.conftest import ShopClient, open_client, settings_for
from tests.fakes.tasks import RecordingTaskQueue
from tests.ordering_support import OrderingShop

from jiadian.adapters.clock import FixedClock
from jiadian.container import Container, build_container


@pytest.fixture
async def gated(tmp_path: Path, clock: FixedClock, migrated_sqlite: Path) -> AsyncIterator[Container]:
    shutil.copyfile(migrated_sqlite, tmp_path / "shop.sqlite3")
    container = build_container(settings_for(tmp_path, stock_gate=True))
    container.clock.override(clock)
    container.task_queue.override(providers.Object(RecordingTaskQueue()))
    yield container
    await container.engine().dispose()


@pytest.fixture
async def client(gated: Container) -> AsyncIterator[ShopClient]:
    async for c in open_client(gated):
        yield c


async def sign_in(client: ShopClient, container: Container, name: str, *, admin: bool = False) -> int:
    user_id, _address = await sign_in_with_address(client, container, name, admin=admin)
    return user_id


async def gate_of(client: ShopClient) -> dict[str, Any]:
    response = await client.get("/api/admin/stock-gate")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def buy(client: ShopClient, sku_id: int, count: int) -> Any:
    address = (await client.get("/api/me/addresses")).json()[0]["id"]
    return await client.post(
        "/api/orders", json={"buy_now": {"sku_id": sku_id, "count": count}, "address_id": address}
    )


async def test_an_operator_runs_the_gate_and_orders_move_its_tokens(
    client: ShopClient, gated: Container, clock: FixedClock
) -> None:
    sku = await OrderingShop(gated, clock).given_sku(price="99.00", stock=3)
    await sign_in(client, gated, "boss", admin=True)
    opened = await client.put(f"/api/admin/stock-gate/{sku.id}")
    assert opened.status_code == 200, opened.text
    assert opened.json() == {"sku_id": sku.id, "tokens": 3, "stock": 3, "drift": 0}
    assert await gate_of(client) == {
        "checkout_uses_it": True,
        "skus": [{"sku_id": sku.id, "tokens": 3, "stock": 3, "drift": 0}],
    }

    await sign_in(client, gated, "shopper")
    order = await buy(client, sku.id, 2)
    assert order.status_code == 201, order.text
    refused = await buy(client, sku.id, 2)
    assert refused.status_code == 409
    assert (refused.json()["code"], refused.json()["available"]) == ("insufficient_stock", 1)
    cancelled = await client.post(f"/api/orders/{order.json()['order_id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text

    await sign_in(client, gated, "boss2", admin=True)
    assert (await gate_of(client))["skus"] == [{"sku_id": sku.id, "tokens": 3, "stock": 3, "drift": 0}]
    await gated.stock_gate_store().admit({sku.id: 1})  # a token lost (a process killed mid-checkout)
    assert (await gate_of(client))["skus"][0]["drift"] == -1
    reconciled = await client.post("/api/admin/stock-gate/reconcile")
    assert reconciled.status_code == 200, reconciled.text
    assert reconciled.json() == {
        "gated": 1,
        "changed": [{"sku_id": sku.id, "before": 2, "after": 3}],
        "closed": [],
    }

    assert (await client.delete(f"/api/admin/stock-gate/{sku.id}")).status_code == 204
    assert (await gate_of(client))["skus"] == []
    assert (await client.delete(f"/api/admin/stock-gate/{sku.id}")).status_code == 204  # idempotent


async def test_an_unknown_sku_cannot_be_gated(client: ShopClient, gated: Container) -> None:
    await sign_in(client, gated, "boss", admin=True)
    response = await client.put("/api/admin/stock-gate/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert (await gate_of(client))["skus"] == []


async def test_the_gate_is_for_operators_only(
    client: ShopClient, gated: Container, clock: FixedClock
) -> None:
    sku = await OrderingShop(gated, clock).given_sku(stock=3)
    assert (await client.get("/api/admin/stock-gate")).status_code == 401
    await sign_in(client, gated, "shopper")
    assert (await client.get("/api/admin/stock-gate")).status_code == 403
    assert (await client.put(f"/api/admin/stock-gate/{sku.id}")).status_code == 403
    assert (await client.post("/api/admin/stock-gate/reconcile")).status_code == 403
