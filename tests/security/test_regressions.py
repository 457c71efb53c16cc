"""One regression test per defect class of the original shop; each fails if its defect comes back.

The original shop evaluated request bodies as Python, showed any order (name, phone, address) to
anyone, trusted an unsigned "paid" query parameter, let the client set the price, accepted negative
counts (raising stock), accepted another user's address, let a shopper recharge their own wallet,
used float money and order ids that collide.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from jiadian.adapters.sql.tables import orders as orders_table
from jiadian.application.tasks import ShipOrder
from jiadian.domain.ordering import Order
from tests.conftest import ShopClient
from tests.fakes.alipay_gateway import FakeAlipayGateway
from tests.security.conftest import ALIPAY_APP_ID, Shop, ShopFactory
from tests.security.support import AMOUNT, MONEY_KEYS, load_demo, money_members, strict_json


def error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    if code is not None:
        assert body["code"] == code, response.text
    return body


async def place(client: ShopClient, address_id: int, sku_id: int, count: int = 1, **extra: Any) -> Any:
    response = await client.post(
        "/api/orders", json={"buy_now": {"sku_id": sku_id, "count": count}, "address_id": address_id, **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def stock_of(shop: Shop, sku_id: int) -> tuple[int, int]:
    sku = await shop.orders.sku(sku_id)
    return sku.stock, sku.sales


# --- 1. request bodies evaluated as Python ---------------------------------------------------------


async def test_request_bodies_are_never_evaluated_as_python(shop: Shop, tmp_path: Path) -> None:
    marker = tmp_path / "evaluated"
    expression = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    sku = await shop.orders.given_sku(price="100.00", stock=10)
    owner = await shop.person("owner_eval")
    assert (
        await owner.client.post("/api/cart/items", json={"sku_id": sku.id, "count": 1})
    ).status_code == 200

    attempts: list[tuple[str, str, Any]] = [
        ("POST", "/api/cart/items", {"sku_id": sku.id, "count": expression}),
        ("POST", "/api/cart/items", {"sku_id": expression, "count": 1}),
        ("POST", "/api/cart/items", {"sku_id": sku.id, "count": "__import__('os')"}),
        ("PUT", f"/api/cart/items/{sku.id}", {"count": expression}),
        ("POST", "/api/checkout/preview", {"buy_now": {"sku_id": sku.id, "count": expression}}),
        ("POST", "/api/checkout/preview", {"sku_ids": expression}),
        ("POST", "/api/orders", {"buy_now": {"sku_id": sku.id, "count": expression}, "address_id": 1}),
        ("POST", "/api/orders", {"sku_ids": [sku.id], "address_id": expression}),
        ("POST", "/api/orders/x/payments", {"method": expression}),
    ]
    for method, path, body in attempts:
        error(await owner.client.request(method, path, json=body), 400, "validation_error")
    # Not JSON at all, but a Python expression the original would have evaluated.
    for raw in (expression, f"{{'sku_id': {sku.id}, 'count': {expression}}}"):
        response = await owner.client.post(
            "/api/cart/items", content=raw, headers={"content-type": "application/json"}
        )
        error(response, 400)
    # Text fields keep the expression as text.
    order = await place(owner.client, owner.address_id, sku.id, mark=expression)
    assert order["mark"] == expression
    assert not marker.exists(), "a request body was evaluated"
    assert await stock_of(shop, sku.id) == (9, 1)
    cart = (await owner.client.get("/api/cart")).json()
    assert [(line["sku_id"], line["count"]) for line in cart["lines"]] == [(sku.id, 1)]


# --- 2. any order shown to anyone ---------------------------------------------------------------


async def test_an_order_is_shown_to_its_owner_only(shop: Shop) -> None:
    sku = await shop.orders.given_sku(price="100.00", stock=10)
    owner = await shop.person("owner_idor")
    other = await shop.person("other_idor")
    operator = await shop.person("oper_idor", admin=True)
    order = await place(owner.client, owner.address_id, sku.id)
    order_id = order["order_id"]
    private = ["13712345678", "王五", "文三路", "西湖区"]  # the recipient's phone, name and address

    mine = await owner.client.get(f"/api/orders/{order_id}")
    assert mine.status_code == 200
    assert all(fact in mine.text for fact in private)  # the owner sees it (so the check below can fail)

    attempts = [
        ("GET", f"/api/orders/{order_id}", None),
        ("POST", f"/api/orders/{order_id}/payments", {"method": "wallet"}),
        ("POST", f"/api/orders/{order_id}/cancel", None),
        ("POST", f"/api/orders/{order_id}/confirm-receipt", None),
        ("POST", f"/api/orders/{order_id}/lines/{order['lines'][0]['line_id']}/review", {"score": 1}),
    ]
    for method, path, body in attempts:
        for stranger, status in ((other.client, 404), (operator.client, 404), (shop.anonymous(), 401)):
            response = await stranger.request(method, path, json=body)
            assert response.status_code == status, (method, path, response.text)
            assert not any(fact in response.text for fact in private), response.text
            assert order_id not in response.text or response.json().get("key") == order_id
    for stranger in (other.client, operator.client):
        listed = (await stranger.get("/api/orders")).json()
        assert (listed["total"], listed["items"]) == (0, [])
    after = (await owner.client.get(f"/api/orders/{order_id}")).json()
    assert (after["status"], after["paid_at"]) == (1, None)  # nobody else paid, cancelled or reviewed it


# --- 3. an unsigned "paid" query parameter ------------------------------------------------------


@pytest.mark.parametrize("gateway", ["simulator", "alipay"])
async def test_an_unsigned_paid_parameter_marks_nothing_paid(
    make_shop: ShopFactory, gateway: str, request: pytest.FixtureRequest
) -> None:
    settings: dict[str, object] = {}
    fake: FakeAlipayGateway | None = None
    if gateway == "alipay":
        fake = request.getfixturevalue("fake_alipay")
        settings = request.getfixturevalue("alipay_keys").settings(fake.url)
    async with make_shop(**settings) as shop:
        sku = await shop.orders.given_sku(price="100.00", stock=10)
        owner = await shop.person("owner_paid", balance="500.00")
        order = await place(owner.client, owner.address_id, sku.id)
        started = await owner.client.post(
            f"/api/orders/{order['order_id']}/payments", json={"method": "alipay"}
        )
        assert started.status_code == 200, started.text
        if fake is not None:  # Alipay itself would even say the trade is paid, if asked
            fake.set_trade(order["trade_no"], "TRADE_SUCCESS", total_amount=order["total"])
        forged = {
            "method": "alipay.trade.page.pay.return",
            "paid": "1",
            "out_trade_no": order["trade_no"],
            "trade_no": "2026010122001400000000000001",
            "trade_status": "TRADE_SUCCESS",
            "total_amount": order["total"],
            "app_id": ALIPAY_APP_ID if gateway == "alipay" else "simulator",
        }
        returned = await owner.client.get(
            "/api/payments/alipay/return", params=forged, headers={"accept": "application/json"}
        )
        error(returned, 400, "payment_not_verified")
        notified = await shop.anonymous().post("/api/payments/alipay/notify", data=forged)
        assert (notified.status_code, notified.text) == (200, "fail")
        seen = await owner.client.get(f"/api/orders/{order['order_id']}", params=forged)
        stored: Order = await shop_order(shop, order["order_id"])
        assert (seen.json()["status"], seen.json()["paid_at"], stored.paid_at) == (1, None, None)
        wallet = (await owner.client.get("/api/me/wallet")).json()
        assert wallet == {"balance": "500.00", "total_recharged": "500.00", "total_consumed": "0.00"}
        assert shop.tasks.of_type(ShipOrder) == []  # no shipping was scheduled either


async def shop_order(shop: Shop, order_id: str) -> Order:
    async with shop.container.uow() as uow:
        found = await uow.orders.get(order_id)
    assert found is not None
    return found


# --- 4. the client sets the price ---------------------------------------------------------------


async def test_prices_and_totals_sent_by_the_client_are_ignored(shop: Shop) -> None:
    sku = await shop.orders.given_sku(price="8888.00", stock=5)
    owner = await shop.person("owner_price", balance="17786.00")
    forged = {"price": "0.01", "unit_price": "0.01", "amount": "0.01", "total": "0.01", "freight": "0.00"}
    added = await owner.client.post("/api/cart/items", json={"sku_id": sku.id, "count": 2, **forged})
    assert added.status_code == 200, added.text
    cart = (await owner.client.get("/api/cart")).json()
    assert (cart["lines"][0]["price"], cart["amount"]) == ("8888.00", "17776.00")
    preview = await owner.client.post("/api/checkout/preview", json={"sku_ids": [sku.id], **forged})
    assert preview.status_code == 200, preview.text
    assert {k: preview.json()[k] for k in ("amount", "freight", "total")} == {
        "amount": "17776.00",
        "freight": "10.00",
        "total": "17786.00",
    }
    response = await owner.client.post(
        "/api/orders",
        json={
            "sku_ids": [sku.id],
            "address_id": owner.address_id,
            **forged,
            "lines": [{"sku_id": sku.id, "count": 1, "unit_price": "0.01", "line_total": "0.01"}],
        },
    )
    assert response.status_code == 201, response.text
    order = response.json()
    line = order["lines"][0]
    assert (line["count"], line["unit_price"], line["line_total"]) == (2, "8888.00", "17776.00")
    assert (order["amount"], order["freight"], order["total"]) == ("17776.00", "10.00", "17786.00")
    paid = await owner.client.post(
        f"/api/orders/{order['order_id']}/payments", json={"method": "wallet", **forged}
    )
    assert paid.status_code == 200, paid.text
    wallet = (await owner.client.get("/api/me/wallet")).json()
    assert (wallet["balance"], wallet["total_consumed"]) == (
        "0.00",
        "17786.00",
    )  # the shop's total was charged


# --- 5. negative counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [-1, 0, -1000])
async def test_negative_and_zero_counts_are_refused_and_stock_is_unchanged(shop: Shop, count: int) -> None:
    sku = await shop.orders.given_sku(price="100.00", stock=10)
    owner = await shop.person("owner_negative")
    assert (
        await owner.client.post("/api/cart/items", json={"sku_id": sku.id, "count": 2})
    ).status_code == 200
    attempts: list[tuple[str, str, Any]] = [
        ("POST", "/api/cart/items", {"sku_id": sku.id, "count": count}),
        ("PUT", f"/api/cart/items/{sku.id}", {"count": count}),
        ("POST", "/api/checkout/preview", {"buy_now": {"sku_id": sku.id, "count": count}}),
        (
            "POST",
            "/api/orders",
            {"buy_now": {"sku_id": sku.id, "count": count}, "address_id": owner.address_id},
        ),
    ]
    for method, path, body in attempts:
        response = await owner.client.request(method, path, json=body)
        assert response.status_code == 400, (method, path, response.text)
    assert await stock_of(shop, sku.id) == (10, 0)
    cart = (await owner.client.get("/api/cart")).json()
    assert [(line["sku_id"], line["count"]) for line in cart["lines"]] == [(sku.id, 2)]
    assert (await owner.client.get("/api/orders")).json()["total"] == 0


# --- 6. another user's address ----------------------------------------------------------------------


async def test_another_users_address_is_refused(shop: Shop) -> None:
    sku = await shop.orders.given_sku(price="100.00", stock=10)
    owner = await shop.person("owner_address")
    other = await shop.person("other_address")
    their = other.address_id
    error(
        await owner.client.post(
            "/api/orders", json={"buy_now": {"sku_id": sku.id, "count": 1}, "address_id": their}
        ),
        404,
        "not_found",
    )
    assert (
        await owner.client.post("/api/cart/items", json={"sku_id": sku.id, "count": 1})
    ).status_code == 200
    error(
        await owner.client.post("/api/orders", json={"sku_ids": [sku.id], "address_id": their}),
        404,
        "not_found",
    )
    fields = {
        "recipient": "李雷",
        "phone": "13900000000",
        "province": "江苏省",
        "city": "南京市",
        "county": "玄武区",
        "detail": "改掉",
    }
    error(await owner.client.put(f"/api/me/addresses/{their}", json=fields), 404, "not_found")
    error(await owner.client.delete(f"/api/me/addresses/{their}"), 404, "not_found")
    assert await stock_of(shop, sku.id) == (10, 0)
    assert (await owner.client.get("/api/orders")).json()["total"] == 0
    theirs = (await other.client.get("/api/me/addresses")).json()
    assert [(a["id"], a["recipient"], a["detail"]) for a in theirs] == [(their, "王五", "文三路 3 号")]
    mine = (await owner.client.get("/api/me/addresses")).json()
    assert [a["id"] for a in mine] == [owner.address_id]


# --- 7. a shopper recharges their own wallet -----------------------------------------------------


@pytest.mark.parametrize("recharge_enabled", [False, True])
async def test_a_shopper_cannot_recharge_their_own_wallet(
    make_shop: ShopFactory, recharge_enabled: bool
) -> None:
    async with make_shop(recharge_enabled=recharge_enabled) as shop:
        shopper = await shop.person("shopper_wallet")
        operator = await shop.person("oper_wallet", admin=True)
        path = f"/api/admin/users/{shopper.user_id}/wallet/recharge"
        error(await shopper.client.post(path, json={"amount": "1000.00"}), 403, "forbidden")
        error(await shop.anonymous().post(path, json={"amount": "1000.00"}), 401, "not_authenticated")
        changed = await shopper.client.patch(
            "/api/me", json={"balance": "1000.00", "wallet": {"balance": "1000.00"}}
        )
        assert changed.status_code == 200, changed.text
        assert (await shopper.client.get("/api/me/wallet")).json()["balance"] == "0.00"
        recharge_routes = [
            route.path for route in shop.client._transport.app.routes if "recharge" in route.path
        ]  # type: ignore[attr-defined]
        assert recharge_routes == ["/api/admin/users/{user_id:int}/wallet/recharge"]
        # The operator can (when the shop allows it), so the refusal above is about who asks.
        by_operator = await operator.client.post(path, json={"amount": "1000.00"})
        assert by_operator.status_code == (200 if recharge_enabled else 409), by_operator.text
        expected = "1000.00" if recharge_enabled else "0.00"
        assert (await shopper.client.get("/api/me/wallet")).json()["balance"] == expected


# --- 8. float money ---------------------------------------------------------------------------------


async def test_money_is_never_a_float(shop: Shop) -> None:
    await load_demo(shop.container)
    sku = await shop.orders.given_sku(price="0.10", stock=10)  # 3 × 0.1 is 0.30000000000000004 in floats
    owner = await shop.person("owner_money", balance="10.30")
    operator = await shop.person("oper_money", admin=True)
    anonymous = shop.anonymous()
    answers: list[httpx.Response] = []

    async def call(client: ShopClient, method: str, path: str, **kwargs: Any) -> Any:
        response = await client.request(method, path, **kwargs)
        assert response.status_code < 300, (path, response.text)
        answers.append(response)
        return strict_json(response)

    home = await call(anonymous, "GET", "/api/catalog/home")
    product_id = home["categories"][0]["products"][0]["id"]
    await call(anonymous, "GET", "/api/catalog/products?category=all&sort=-price")
    await call(anonymous, "GET", "/api/catalog/search?q=i")
    await call(anonymous, "GET", f"/api/catalog/products/{product_id}")
    await call(owner.client, "GET", f"/api/catalog/products/{product_id}")
    await call(owner.client, "POST", "/api/cart/items", json={"sku_id": sku.id, "count": 3})
    cart = await call(owner.client, "GET", "/api/cart")
    preview = await call(owner.client, "POST", "/api/checkout/preview", json={"sku_ids": [sku.id]})
    order = await call(
        owner.client, "POST", "/api/orders", json={"sku_ids": [sku.id], "address_id": owner.address_id}
    )
    paid = await call(
        owner.client, "POST", f"/api/orders/{order['order_id']}/payments", json={"method": "wallet"}
    )
    for path in (
        "/api/me",
        "/api/me/wallet",
        "/api/me/history",
        "/api/orders",
        f"/api/orders/{order['order_id']}",
    ):
        await call(owner.client, "GET", path)
    await call(operator.client, "GET", f"/api/admin/catalog/products/{sku.product_id}")
    await call(operator.client, "PUT", f"/api/admin/catalog/skus/{sku.id}/price", json={"price": "19.90"})

    assert (cart["amount"], preview["amount"], preview["total"]) == ("0.30", "0.30", "10.30")
    assert (paid["total"], paid["lines"][0]["line_total"]) == ("10.30", "0.30")
    assert (await call(owner.client, "GET", "/api/me/wallet"))["balance"] == "0.00"
    checked = 0
    for response in answers:
        for where, value in money_members(strict_json(response)):
            assert isinstance(value, str), (response.request.url, where, value)
            assert AMOUNT.match(value), (response.request.url, where, value)
            assert Decimal(value) == Decimal(value).quantize(Decimal("0.01"))
            checked += 1
    assert checked > 50
    # The document says so too: no amount is a number.
    document = (await anonymous.get("/schema/openapi.json")).json()
    for name, schema in document["components"]["schemas"].items():
        for key, member in schema.get("properties", {}).items():
            if key in MONEY_KEYS and not (key == "total" and name.startswith("Page")):
                types = json.dumps(member)
                assert '"number"' not in types, (name, key, member)
                assert '"string"' in types, (name, key, member)


# --- 9. colliding order ids ----------------------------------------------------------------------


async def test_order_ids_are_unique_under_500_concurrent_placements(shop: Shop) -> None:
    """The same buyer, the same second (the clock stands still): the original's timestamp+user_id
    would give every one of these orders the same id."""
    sku = await shop.orders.given_sku(price="1.00", stock=500)
    user_id, address_id = (await shop.person("owner_ids")).user_id, 0
    async with shop.container.uow() as uow:
        address_id = (await uow.addresses.list_for(user_id))[0].id
    placed = await asyncio.gather(*(shop.orders.buy(user_id, address_id, sku.id) for _ in range(500)))
    assert len({order.id for order in placed}) == 500
    assert len({order.trade_no for order in placed}) == 500
    async with shop.container.engine().connect() as conn:
        rows = (await conn.execute(select(func.count(), func.count(orders_table.c.id.distinct())))).one()
    assert tuple(rows) == (500, 500)
    assert await stock_of(shop, sku.id) == (0, 500)
