"""Checkout and orders through HTTP (the app over a migrated SQLite database)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from dependency_injector import providers
from tests.conftest import ShopClient
from tests.fakes.tasks import RecordingTaskQueue
from tests.ordering_support import OrderingShop

from jiadian.adapters.clock import FixedClock
from jiadian.application.tasks import ExpireOrder, ShipOrder
from jiadian.container import Container
from jiadian.domain.money import Money
from jiadian.domain.wallet import EntryKind, LedgerEntry

PASSWORD = "secret-123"
ORDER_KEYS = {
    "order_id",
    "trade_no",
    "status",
    "status_label",
    "pay_method",
    "lines",
    "total_count",
    "amount",
    "freight",
    "total",
    "address",
    "mark",
    "created_at",
    "pay_by",
    "paid_at",
}
LINE_KEYS = {
    "line_id",
    "sku_id",
    "product_id",
    "name",
    "size",
    "color",
    "image_url",
    "count",
    "unit_price",
    "line_total",
    "reviewed",
}


class Api:
    """The shop through HTTP, with a few set-up helpers that go straight to the container."""

    def __init__(
        self, client: ShopClient, container: Container, clock: FixedClock, tasks: RecordingTaskQueue
    ) -> None:
        self.client, self.container, self.tasks = client, container, tasks
        self.shop = OrderingShop(container, clock, tasks)

    async def sign_in(self, username: str, *, balance: str = "0.00", admin: bool = False) -> tuple[int, int]:
        """Create the user (with a wallet balance and an address) and sign in as them: (user_id, address_id)."""
        user = await self.container.accounts().create_user(
            username, f"{username}@example.com", PASSWORD, is_admin=admin
        )
        async with self.container.uow() as uow:
            if balance != "0.00":
                await uow.wallets.apply(user.id, LedgerEntry(EntryKind.RECHARGE, Money.of(balance)))
            await uow.commit()
        _, address = await self._address(user.id)
        await self.switch(username)
        return user.id, address

    async def _address(self, user_id: int) -> tuple[int, int]:
        from jiadian.domain.accounts import Address

        async with self.container.uow() as uow:
            address = await uow.addresses.add(
                Address(0, user_id, "李四", "13912345678", "北京市", "北京市", "海淀区", "中关村 2 号", True)
            )
            await uow.commit()
        return user_id, address.id

    async def switch(self, username: str) -> None:
        self.client.cookies.clear()
        await self.client.login(username, PASSWORD)

    async def order(self, address: int, sku_id: int, count: int = 1, **extra: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/orders",
            json={"buy_now": {"sku_id": sku_id, "count": count}, "address_id": address, **extra},
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def pay(self, order_id: str, method: str = "wallet") -> Any:
        return await self.client.post(f"/api/orders/{order_id}/payments", json={"method": method})


@pytest.fixture
def tasks(sqlite: Container) -> RecordingTaskQueue:
    queue = RecordingTaskQueue()
    sqlite.task_queue.override(providers.Object(queue))
    return queue


@pytest.fixture
async def api(tasks: RecordingTaskQueue, client: ShopClient, sqlite: Container, clock: FixedClock) -> Api:
    return Api(client, sqlite, clock, tasks)


def error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


# --- anonymous --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/checkout/preview"),
        ("POST", "/api/orders"),
        ("GET", "/api/orders"),
        ("GET", "/api/orders/x"),
        ("POST", "/api/orders/x/payments"),
        ("POST", "/api/orders/x/cancel"),
        ("POST", "/api/orders/x/confirm-receipt"),
        ("POST", "/api/orders/x/lines/1/review"),
        ("POST", "/api/admin/orders/x/ship"),
    ],
)
async def test_anonymous_is_401(client: ShopClient, method: str, path: str) -> None:
    response = await client.request(method, path, json={} if method == "POST" else None)
    error(response, 401, "not_authenticated")


# --- checkout ---------------------------------------------------------------------------------


async def test_preview_from_the_cart_and_buy_now(api: Api) -> None:
    sku = await api.shop.given_sku(price="99.90", stock=5)
    other = await api.shop.given_sku(price="10.00", stock=5)
    user, _address = await api.sign_in("alice")
    await api.shop.carts.add(user, sku.id, 2, limit=5)
    await api.shop.carts.add(user, other.id, 1, limit=5)
    response = await api.client.post("/api/checkout/preview", json={"sku_ids": [sku.id]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("total_count", "amount", "freight", "total")} == {
        "total_count": 2,
        "amount": "199.80",
        "freight": "10.00",
        "total": "209.80",
    }
    (line,) = body["lines"]
    assert (line["sku_id"], line["count"], line["unit_price"], line["line_total"]) == (
        sku.id,
        2,
        "99.90",
        "199.80",
    )
    assert line["image_url"].startswith("/media/img/")
    buy_now = await api.client.post(
        "/api/checkout/preview", json={"buy_now": {"sku_id": other.id, "count": 3}}
    )
    assert buy_now.json()["total"] == "40.00"
    error(await api.client.post("/api/checkout/preview", json={}), 400, "validation_error")
    error(
        await api.client.post("/api/checkout/preview", json={"buy_now": {"sku_id": sku.id, "count": 6}}),
        409,
        "insufficient_stock",
    )


async def test_placing_an_order_answers_the_order_and_ignores_client_prices(api: Api) -> None:
    sku = await api.shop.given_sku(price="8888.00", stock=5, size="256G", color="金色")
    user, address = await api.sign_in("alice")
    await api.shop.carts.add(user, sku.id, 2, limit=5)
    response = await api.client.post(
        "/api/orders",
        json={
            "sku_ids": [sku.id],
            "address_id": address,
            "mark": "周末送货",
            "price": "0.01",
            "amount": "0.01",
            "total": "0.01",
            "lines": [{"sku_id": sku.id, "count": 1, "unit_price": "0.01"}],
        },
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert set(order) >= ORDER_KEYS
    assert (order["status"], order["status_label"], order["pay_method"], order["paid_at"]) == (
        1,
        "待支付",
        "",
        None,
    )
    assert (order["total_count"], order["amount"], order["freight"], order["total"]) == (
        2,
        "17776.00",
        "10.00",
        "17786.00",
    )
    assert order["mark"] == "周末送货"
    assert order["address"] == {
        "id": address,
        "recipient": "李四",
        "phone": "13912345678",
        "province": "北京市",
        "city": "北京市",
        "county": "海淀区",
        "detail": "中关村 2 号",
        "is_default": False,
    }
    (line,) = order["lines"]
    assert set(line) == LINE_KEYS
    assert (
        line["count"],
        line["unit_price"],
        line["line_total"],
        line["size"],
        line["color"],
        line["reviewed"],
    ) == (
        2,
        "8888.00",
        "17776.00",
        "256G",
        "金色",
        False,
    )
    assert (await api.shop.sku(sku.id)).stock == 3
    assert await api.shop.carts.lines(user) == {}
    assert api.tasks.sent == [(ExpireOrder(order["order_id"]), 24 * 3600)]
    # The deadline the buyer is shown is when the expiry comes.
    assert datetime.fromisoformat(order["pay_by"]) == datetime.fromisoformat(order["created_at"]) + timedelta(
        hours=24
    )


async def test_an_address_that_is_not_yours_is_404(api: Api) -> None:
    sku = await api.shop.given_sku(stock=5)
    _bob, bobs_address = await api.sign_in("bob")
    await api.sign_in("alice")
    response = await api.client.post(
        "/api/orders", json={"buy_now": {"sku_id": sku.id, "count": 1}, "address_id": bobs_address}
    )
    error(response, 404, "not_found")
    assert (await api.shop.sku(sku.id)).stock == 5


async def test_off_shelf_unknown_and_over_stock(api: Api) -> None:
    off = await api.shop.given_sku(on_shelf=False)
    scarce = await api.shop.given_sku(stock=2)
    _user, address = await api.sign_in("alice")

    async def place(sku_id: int, count: int) -> Any:
        return await api.client.post(
            "/api/orders", json={"buy_now": {"sku_id": sku_id, "count": count}, "address_id": address}
        )

    error(await place(off.id, 1), 409, "off_shelf")
    error(await place(987_654, 1), 404, "not_found")
    over = await place(scarce.id, 3)
    error(over, 409, "insufficient_stock")
    assert (over.json()["requested"], over.json()["available"]) == (3, 2)
    error(await place(scarce.id, 0), 400, "invalid_quantity")
    assert (await api.shop.sku(scarce.id)).stock == 2


async def test_a_retry_with_the_same_idempotency_key_places_one_order(api: Api) -> None:
    sku = await api.shop.given_sku(stock=5)
    _user, address = await api.sign_in("alice")
    headers = {"Idempotency-Key": "checkout-7f3a"}
    body = {"buy_now": {"sku_id": sku.id, "count": 2}, "address_id": address}
    first = await api.client.post("/api/orders", json=body, headers=headers)
    again = await api.client.post("/api/orders", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["order_id"] == again.json()["order_id"]
    assert (await api.shop.sku(sku.id)).stock == 3
    assert (await api.client.get("/api/orders")).json()["total"] == 1
    error(
        await api.client.post("/api/orders", json=body, headers={"Idempotency-Key": "x" * 65}),
        400,
        "validation_error",
    )


# --- history ----------------------------------------------------------------------------------


async def test_history_filters_pages_and_hides_other_peoples_orders(api: Api) -> None:
    sku = await api.shop.given_sku(stock=50)
    _bob, bobs_address = await api.sign_in("bob")
    bobs = await api.order(bobs_address, sku.id)
    _alice, address = await api.sign_in("alice", balance="1000.00")
    placed = []
    for _ in range(3):
        placed.append(await api.order(address, sku.id))
        api.shop.clock.advance(seconds=1)
    assert (await api.pay(placed[0]["order_id"])).status_code == 200

    page = (await api.client.get("/api/orders", params={"page_size": 2})).json()
    assert (page["total"], page["pages"], page["page"], page["page_size"]) == (3, 2, 1, 2)
    assert [o["order_id"] for o in page["items"]] == [placed[2]["order_id"], placed[1]["order_id"]]
    past_the_end = (await api.client.get("/api/orders", params={"page": 9, "page_size": 2})).json()
    assert (past_the_end["page"], [o["order_id"] for o in past_the_end["items"]]) == (
        2,
        [placed[0]["order_id"]],
    )
    paid = (await api.client.get("/api/orders", params={"status": "2"})).json()
    assert [(o["order_id"], o["status"], o["status_label"]) for o in paid["items"]] == [
        (placed[0]["order_id"], 2, "待发货")
    ]
    error(await api.client.get("/api/orders", params={"status": "9"}), 400, "validation_error")
    error(await api.client.get("/api/orders", params={"page_size": 500}), 400, "validation_error")

    mine = await api.client.get(f"/api/orders/{placed[1]['order_id']}")
    assert mine.status_code == 200
    assert mine.json() == placed[1]
    error(await api.client.get(f"/api/orders/{bobs['order_id']}"), 404, "not_found")
    error(await api.client.get("/api/orders/nope"), 404, "not_found")
    error(await api.client.post(f"/api/orders/{bobs['order_id']}/cancel"), 404, "not_found")
    error(await api.pay(bobs["order_id"]), 404, "not_found")


# --- paying and cancelling --------------------------------------------------------------------


async def test_wallet_payment(api: Api) -> None:
    sku = await api.shop.given_sku(price="90.00", stock=5)
    user, address = await api.sign_in("alice", balance="150.00")
    order = await api.order(address, sku.id)
    paid = await api.pay(order["order_id"])
    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert (body["status"], body["status_label"], body["pay_method"]) == (2, "待发货", "wallet")
    assert body["paid_at"] is not None
    assert body["pay_by"] is None  # paid: no deadline any more
    assert ShipOrder(order["order_id"]) in [task for task, _ in api.tasks.sent]
    error(await api.pay(order["order_id"]), 409, "already_paid")
    wallet = (await api.client.get("/api/me")).json()["wallet"]
    assert (wallet["balance"], wallet["total_consumed"]) == ("50.00", "100.00")
    second = await api.order(address, sku.id)
    error(await api.pay(second["order_id"]), 409, "insufficient_balance")
    assert (await api.client.get(f"/api/orders/{second['order_id']}")).json()["status"] == 1
    alipay = await api.pay(second["order_id"], "alipay")  # the embedded default: the payment SIMULATOR
    assert alipay.status_code == 200, alipay.text
    assert alipay.json()["payment_url"].endswith(f"/api/payments/simulator/{second['trade_no']}")
    error(await api.pay(second["order_id"], "cod"), 400, "unsupported_payment_method")
    error(await api.pay(second["order_id"], "wechat"), 400, "unsupported_payment_method")
    assert await api.shop.balance(user) == Money.of("50.00")


async def test_cancel_restores_stock_and_a_cancelled_order_cannot_be_paid(api: Api) -> None:
    sku = await api.shop.given_sku(stock=5)
    _user, address = await api.sign_in("alice", balance="1000.00")
    order = await api.order(address, sku.id, 2)
    cancelled = await api.client.post(f"/api/orders/{order['order_id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["status_label"]) == ("cancelled", "已取消")
    assert ((s := await api.shop.sku(sku.id)).stock, s.sales) == (5, 0)
    error(await api.pay(order["order_id"]), 409, "illegal_transition")
    error(await api.client.post(f"/api/orders/{order['order_id']}/cancel"), 409, "illegal_transition")
    assert (await api.shop.sku(sku.id)).stock == 5
    paid = await api.order(address, sku.id)
    await api.pay(paid["order_id"])
    error(await api.client.post(f"/api/orders/{paid['order_id']}/cancel"), 409, "already_paid")


# --- shipping, receipt, reviews ---------------------------------------------------------------


async def test_ship_confirm_and_review(api: Api) -> None:
    first = await api.shop.given_sku(price="10.00")
    second = await api.shop.given_sku(price="20.00")
    await api.sign_in("admin", admin=True)
    user, address = await api.sign_in("alice", balance="1000.00")
    for sku in (first, second):
        await api.shop.carts.add(user, sku.id, 1, limit=10)
    order = (
        await api.client.post("/api/orders", json={"sku_ids": [first.id, second.id], "address_id": address})
    ).json()
    order_id = order["order_id"]
    line_one, line_two = (line["line_id"] for line in order["lines"])

    def review(line_id: int, score: int, content: str = "") -> Any:
        return api.client.post(
            f"/api/orders/{order_id}/lines/{line_id}/review", json={"score": score, "content": content}
        )

    error(await review(line_one, 5), 409, "not_reviewable")
    error(await api.client.post(f"/api/orders/{order_id}/confirm-receipt"), 409, "illegal_transition")
    await api.pay(order_id)
    error(await api.client.post(f"/api/admin/orders/{order_id}/ship"), 403, "forbidden")

    await api.switch("admin")
    shipped = await api.client.post(f"/api/admin/orders/{order_id}/ship")
    assert (shipped.status_code, shipped.json()["status"], shipped.json()["status_label"]) == (
        200,
        3,
        "待收货",
    )
    error(await api.client.post(f"/api/admin/orders/{order_id}/ship"), 409, "illegal_transition")
    error(await api.client.post("/api/admin/orders/nope/ship"), 404, "not_found")

    await api.switch("alice")
    received = await api.client.post(f"/api/orders/{order_id}/confirm-receipt")
    assert (received.status_code, received.json()["status"], received.json()["status_label"]) == (
        200,
        4,
        "待评价",
    )

    error(await review(line_one, 2), 400, "validation_error")
    error(await review(987_654, 5), 404, "not_found")
    written = await review(line_one, 5, "很好用")
    assert written.status_code == 201, written.text
    assert {k: v for k, v in written.json().items() if k != "created_at"} == {
        "id": written.json()["id"],
        "username": "alice",
        "score": 5,
        "content": "很好用",
        "sku": {"id": first.id, "size": "标准", "color": "黑色"},
    }
    error(await review(line_one, 3), 409, "already_reviewed")
    assert (await review(line_two, 1)).json()["content"] == "该用户未给出评论"
    done = (await api.client.get(f"/api/orders/{order_id}")).json()
    assert (done["status"], done["status_label"], [line["reviewed"] for line in done["lines"]]) == (
        5,
        "已完成",
        [True, True],
    )

    shown = (await api.client.get(f"/api/catalog/products/{first.product_id}/reviews")).json()
    assert [(r["username"], r["score"], r["content"]) for r in shown["items"]] == [("a**", 5, "很好用")]
    summary = (await api.client.get(f"/api/catalog/products/{second.product_id}")).json()["reviews"]
    assert summary == {"count": 1, "average_score": "1.00", "satisfaction": "0.00"}


async def test_the_order_endpoints_are_in_the_openapi_schema(client: ShopClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    for path in (
        "/api/checkout/preview",
        "/api/orders",
        "/api/orders/{order_id}",
        "/api/orders/{order_id}/payments",
        "/api/orders/{order_id}/cancel",
        "/api/orders/{order_id}/confirm-receipt",
        "/api/orders/{order_id}/lines/{line_id}/review",
        "/api/admin/orders/{order_id}/ship",
    ):
        assert path in schema["paths"], path
