"""Refunds through HTTP and the CLI (the app over a migrated SQLite database, the payment simulator)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from tests.conftest import ShopClient
from tests.fakes.tasks import RecordingTaskQueue
from tests.ordering_support import OrderingShop
from typer.testing import CliRunner, Result

from jiadian.adapters.clock import FixedClock
from jiadian.container import Container
from jiadian.domain.money import Money
from jiadian.domain.wallet import EntryKind, LedgerEntry
from jiadian.entrypoints.cli.main import app as cli

PASSWORD = "secret-123"
REFUND_KEYS = {
    "id",
    "order_id",
    "state",
    "state_label",
    "method",
    "amount",
    "reason",
    "answer",
    "created_at",
    "decided_at",
    "refunded_at",
}
ADMIN_KEYS = REFUND_KEYS | {
    "subject",
    "user_id",
    "origin",
    "payment_id",
    "trade_no",
    "out_request_no",
    "operator",
    "gateway_answer",
}


class Api:
    def __init__(self, client: ShopClient, container: Container, clock: FixedClock) -> None:
        self.client, self.container = client, container
        self.shop = OrderingShop(container, clock)

    async def person(self, name: str, *, admin: bool = False) -> int:
        user = await self.container.accounts().create_user(
            name, f"{name}@example.com", PASSWORD, is_admin=admin
        )
        from jiadian.domain.accounts import Address

        async with self.container.uow() as uow:
            await uow.wallets.apply(user.id, LedgerEntry(EntryKind.RECHARGE, Money.of("1000.00")))
            await uow.addresses.add(
                Address(0, user.id, "李四", "13912345678", "北京市", "北京市", "海淀区", "中关村 2 号", True)
            )
            await uow.commit()
        return user.id

    async def as_(self, name: str) -> None:
        self.client.cookies.clear()
        await self.client.login(name, PASSWORD)

    async def paid_order(self, *, method: str = "wallet", stock: int = 5) -> dict[str, Any]:
        sku = await self.shop.given_sku(price="100.00", stock=stock)
        address = (await self.client.get("/api/me/addresses")).json()[0]["id"]
        placed = await self.client.post(
            "/api/orders", json={"buy_now": {"sku_id": sku.id, "count": 2}, "address_id": address}
        )
        assert placed.status_code == 201, placed.text
        order: dict[str, Any] = placed.json()
        paid = await self.client.post(f"/api/orders/{order['order_id']}/payments", json={"method": method})
        assert paid.status_code == 200, paid.text
        order["sku_id"] = sku.id
        return order

    async def order(self, order_id: str) -> dict[str, Any]:
        body: dict[str, Any] = (await self.client.get(f"/api/orders/{order_id}")).json()
        return body


@pytest.fixture
async def api(client: ShopClient, sqlite: Container, clock: FixedClock) -> Api:
    sqlite.task_queue.override(providers.Object(RecordingTaskQueue()))
    return Api(client, sqlite, clock)


def error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


async def test_a_buyer_asks_for_a_refund_and_an_operator_approves_it(api: Api) -> None:
    await api.person("alice")
    await api.person("boss", admin=True)
    await api.as_("alice")
    order = await api.paid_order()
    order_id = order["order_id"]
    error(await api.client.get(f"/api/orders/{order_id}/refund"), 404, "not_found")

    asked = await api.client.post(f"/api/orders/{order_id}/refund", json={"reason": "买错了"})

    assert asked.status_code == 201, asked.text
    refund = asked.json()
    assert set(refund) == REFUND_KEYS
    assert (refund["state"], refund["state_label"], refund["method"], refund["amount"], refund["reason"]) == (
        "requested",
        "退款申请中",
        "wallet",
        "210.00",
        "买错了",
    )
    shown = await api.order(order_id)
    assert (shown["status"], shown["status_label"]) == ("refund_requested", "退款申请中")
    assert (await api.client.get(f"/api/orders/{order_id}/refund")).json() == refund
    error(await api.client.post(f"/api/orders/{order_id}/refund", json={}), 409, "illegal_transition")
    listed = (await api.client.get("/api/orders", params={"status": "refund_requested"})).json()
    assert [o["order_id"] for o in listed["items"]] == [order_id]

    await api.as_("boss")
    asked_list = (await api.client.get("/api/admin/refunds", params={"state": "requested"})).json()
    assert [r["id"] for r in asked_list["items"]] == [refund["id"]]
    assert set(asked_list["items"][0]) == ADMIN_KEYS
    approved = await api.client.post(f"/api/admin/refunds/{refund['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["operator"], approved.json()["origin"]) == (
        "refunded",
        "boss",
        "buyer",
    )
    error(await api.client.post(f"/api/admin/refunds/{refund['id']}/approve"), 409, "illegal_refund_change")

    await api.as_("alice")
    done = await api.order(order_id)
    assert (done["status"], done["status_label"]) == ("refunded", "已退款")
    assert done["refunded_at"] is not None
    assert (await api.client.get("/api/me/wallet")).json()["balance"] == "1000.00"
    assert (await api.client.get(f"/api/orders/{order_id}/refund")).json()["state_label"] == "已退款"
    assert (await api.shop.sku(order["sku_id"])).stock == 5


async def test_a_refused_request_shows_the_answer_and_the_order_ships(api: Api) -> None:
    await api.person("bob")
    await api.person("boss", admin=True)
    await api.as_("bob")
    order = await api.paid_order()
    refund = (await api.client.post(f"/api/orders/{order['order_id']}/refund")).json()  # no body: no reason
    assert refund["reason"] == ""
    await api.as_("boss")
    error(
        await api.client.post(f"/api/admin/refunds/{refund['id']}/refuse", json={}), 400, "validation_error"
    )
    refused = await api.client.post(f"/api/admin/refunds/{refund['id']}/refuse", json={"answer": "已打包"})
    assert refused.json()["state"] == "refused"
    error(await api.client.post(f"/api/admin/refunds/{refund['id']}/retry"), 409, "illegal_refund_change")
    shipped = await api.client.post(f"/api/admin/orders/{order['order_id']}/ship")
    assert shipped.json()["status"] == 3
    error(await api.client.post(f"/api/admin/orders/{order['order_id']}/refund"), 409, "illegal_transition")
    await api.as_("bob")
    mine = (await api.client.get(f"/api/orders/{order['order_id']}/refund")).json()
    assert (mine["state"], mine["state_label"], mine["answer"]) == ("refused", "退款申请未通过", "已打包")


async def test_an_operator_refunds_a_gateway_paid_order_through_the_simulator(api: Api) -> None:
    await api.person("carol")
    await api.person("boss", admin=True)
    await api.as_("carol")
    order = await api.paid_order(method="alipay")  # the simulator's cashier: not paid yet
    await api.as_("boss")
    paid = await api.client.post(f"/api/admin/payments/simulator/{order['order_id']}/pay")
    assert paid.json()["verdict"] == "applied"

    refunded = await api.client.post(f"/api/admin/orders/{order['order_id']}/refund", json={"reason": "缺货"})

    assert refunded.status_code == 200, refunded.text
    body = refunded.json()
    assert (body["state"], body["method"], body["origin"], body["reason"]) == (
        "refunded",
        "alipay",
        "operator",
        "缺货",
    )
    assert body["gateway_answer"]["out_request_no"] == body["out_request_no"]
    payments = (await api.client.get("/api/admin/payments")).json()["items"]
    assert [p["state"] for p in payments] == ["refunded"]
    error(
        await api.client.post(f"/api/admin/payments/{payments[0]['id']}/refund"),
        409,
        "illegal_payment_change",
    )
    shown = (await api.client.get(f"/api/admin/refunds/{body['id']}")).json()
    assert shown == body
    error(await api.client.get("/api/admin/refunds/999"), 404, "not_found")
    error(await api.client.get("/api/admin/refunds", params={"state": "lost"}), 400, "validation_error")
    settled = await api.client.post("/api/admin/refunds/settle")
    assert settled.json() == {"checked": 0, "refunded": 0, "failed": 0, "unconfirmed": 0, "unavailable": 0}


async def test_another_buyers_order_has_no_refund_for_them(api: Api) -> None:
    await api.person("dave")
    await api.person("erin")
    await api.as_("dave")
    order = await api.paid_order()
    await api.as_("erin")
    error(await api.client.post(f"/api/orders/{order['order_id']}/refund", json={}), 404, "not_found")
    error(await api.client.get(f"/api/orders/{order['order_id']}/refund"), 404, "not_found")
    error(await api.client.post(f"/api/admin/orders/{order['order_id']}/refund"), 403, "forbidden")


# --- the command line -----------------------------------------------------------------------------


async def jiadian(args: list[str]) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, cli, args)


async def test_the_refund_commands(api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIADIAN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}")
    monkeypatch.setenv("JIADIAN_AUTO_DEMO", "false")
    await api.person("frank")
    await api.as_("frank")
    first, second, third = [await api.paid_order() for _ in range(3)]
    asked = [
        (await api.client.post(f"/api/orders/{o['order_id']}/refund", json={"reason": "尺寸不对"})).json()
        for o in (first, second)
    ]

    listed = await jiadian(["refunds", "list", "--state", "requested"])
    assert listed.exit_code == 0, listed.output
    assert "2 refunds" in listed.output
    approved = await jiadian(["refunds", "approve", str(asked[0]["id"]), "--operator", "boss"])
    assert approved.exit_code == 0, approved.output
    assert "refunded" in approved.output
    refused = await jiadian(["refunds", "refuse", str(asked[1]["id"]), "--answer", "已出库"])
    assert refused.exit_code == 0, refused.output
    direct = await jiadian(["refunds", "order", third["order_id"], "--reason", "客服同意"])
    assert direct.exit_code == 0, direct.output
    shown = await jiadian(["refunds", "show", str(asked[1]["id"])])
    assert "已出库" in shown.output and "cli:" in shown.output  # noqa: PT018
    again = await jiadian(["refunds", "approve", str(asked[0]["id"])])
    assert again.exit_code == 1
    assert "illegal_refund_change" in again.output
    settled = await jiadian(["refunds", "settle"])
    assert settled.exit_code == 0, settled.output
    assert "checked 0" in settled.output
    assert (await api.client.get("/api/me/wallet")).json()["balance"] == "790.00"  # two of three back
