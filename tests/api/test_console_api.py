"""The operator console's endpoints over HTTP (SQLite): the dashboard, lists, details, the changes they
offer, and the audit log that shows each change with its operator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from tests.conftest import ShopClient, open_client
from tests.console_support import World, given_world
from tests.files_support import png
from tests.security.support import money_members, strict_json

from jiadian.adapters.clock import FixedClock
from jiadian.container import Container

PASSWORD = "secret-123"


@dataclass
class Console:
    client: ShopClient
    world: World
    chief_id: int

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return strict_json(response)  # amounts are strings, counts integers: never a float

    async def audit(self, **params: Any) -> list[dict[str, Any]]:
        return (await self.get("/api/admin/audit", **params))["items"]  # type: ignore[no-any-return]


@pytest.fixture
async def console(sqlite: Container, clock: FixedClock) -> AsyncIterator[Console]:
    world = await given_world(sqlite, clock)
    chief = await sqlite.accounts().create_user("chief", "chief@example.com", PASSWORD, is_admin=True)
    await sqlite.accounts().create_user("shopper", "shopper@example.com", PASSWORD)
    async for client in open_client(sqlite):
        await client.login("chief", PASSWORD)
        yield Console(client, world, chief.id)


async def test_the_dashboard(console: Console) -> None:
    board = await console.get("/api/admin/dashboard")
    assert board["today"] == {"placed": 3, "paid": 1, "revenue": "209.00"}
    assert board["week"] == {"placed": 5, "paid": 2, "revenue": "3218.00"}
    assert [d["date"] for d in board["days"]][-2:] == ["2026-01-01", "2026-01-02"]
    assert (board["awaiting_shipment"], board["expiring"], board["expiring_within_hours"]) == (1, 1, 2)
    assert (board["needs_refund"], board["needs_refund_amount"]) == (1, "15009.00")
    assert (board["low_stock"], board["low_stock_at_most"]) == (9, 10)
    assert all(isinstance(v, str) for _path, v in money_members(board))
    settings = await console.get("/api/admin/console")
    assert settings == {
        "recharge_enabled": False,
        "payment_gateway": "simulator",
        "stock_gate": False,
        "low_stock_at_most": 10,
        "timezone": "Asia/Shanghai",
    }


async def test_orders_listed_found_shipped_and_cancelled(console: Console) -> None:
    orders = console.world.orders
    page = await console.get("/api/admin/orders", page_size=2)
    assert (page["total"], page["pages"], [o["username"] for o in page["items"]]) == (5, 3, ["bob", "bob"])
    waiting = await console.get("/api/admin/orders", status="2")
    assert [o["order_id"] for o in waiting["items"]] == [orders["o3"].id]
    expiring = await console.get("/api/admin/orders", expiring="true")
    assert [o["order_id"] for o in expiring["items"]] == [orders["o2"].id]
    found = await console.get("/api/admin/orders", q=orders["o1"].trade_no)
    assert [o["order_id"] for o in found["items"]] == [orders["o1"].id]
    on_day = await console.get(
        "/api/admin/orders", placed_from="2026-01-01", placed_to="2026-01-01", user="alice"
    )
    assert [o["order_id"] for o in on_day["items"]] == [orders["o1"].id]

    shipped = await console.client.post(f"/api/admin/orders/{orders['o3'].id}/ship")
    assert shipped.status_code == 200, shipped.text
    cancelled = await console.client.post(f"/api/admin/orders/{orders['o2'].id}/cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    again = await console.client.post(f"/api/admin/orders/{orders['o2'].id}/cancel")
    assert (again.status_code, again.json()["code"]) == (409, "illegal_transition")

    detail = await console.get(f"/api/admin/orders/{orders['o3'].id}")
    assert [(s["step"], s["by"]) for s in detail["history"]] == [
        ("placed", "alice"),
        ("paid", "alice"),
        ("shipped", "chief"),
    ]
    assert (detail["can_ship"], detail["can_cancel"], detail["buyer"]["username"]) == (False, False, "alice")
    assert detail["order"]["address"]["recipient"] == "张三"
    assert [a["action"] for a in detail["audit"]] == ["order.ship"]
    kept = await console.get(f"/api/admin/orders/{orders['o5'].id}")
    assert [p["state"] for p in kept["payments"]] == ["needs_refund"]
    assert (await console.client.get("/api/admin/orders/nothing")).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"status": "9"},
        {"placed_from": "yesterday"},
        {"placed_from": "2026-01-03", "placed_to": "2026-01-01"},
        {"page_size": "51"},
        {"page_size": "0"},
    ],
)
async def test_bad_filters_answer_400(console: Console, params: dict[str, str]) -> None:
    response = await console.client.get("/api/admin/orders", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"


async def test_a_product_created_with_images_in_order_and_edited(console: Console) -> None:
    created = await console.client.post(
        "/api/admin/catalog/products",
        json={
            "category": "headset",
            "spu": "AirPods",
            "name": "AirPods Pro 2",
            "spu_detail": "主动降噪",
            "must_be_new": True,
            "skus": [
                {"price": "1899.00", "stock": 5, "color": "白色", "size": "USB-C"},
                {"price": "1799.00", "stock": 2, "color": "白色", "size": "Lightning"},
            ],
        },
    )
    assert created.status_code == 201, created.text
    product = created.json()
    again = await console.client.post(
        "/api/admin/catalog/products",
        json={
            "category": "headset",
            "spu": "AirPods",
            "name": "AirPods Pro 2",
            "must_be_new": True,
            "skus": [{"price": "1.00", "stock": 1}],
        },
    )
    assert (again.status_code, again.json()["code"]) == (400, "product_exists")

    sku_id = product["skus"][1]["id"]
    images = []
    for colour in ("red", "green", "blue"):
        uploaded = await console.client.post(
            f"/api/admin/catalog/skus/{sku_id}/images", files={"image": ("p.png", png(colour), "image/png")}
        )
        assert uploaded.status_code == 201, uploaded.text
        images.append(uploaded.json()["id"])
    ordered = await console.client.put(
        f"/api/admin/catalog/skus/{sku_id}/image-order", json={"ids": [images[2], images[0], images[1]]}
    )
    assert [i["position"] for i in ordered.json()] == [0, 1, 2]
    bad = await console.client.put(f"/api/admin/catalog/skus/{sku_id}/image-order", json={"ids": images[:2]})
    assert bad.status_code == 400

    sheet = await console.get(f"/api/admin/catalog/products/{product['id']}")
    assert [i["id"] for i in sheet["skus"][1]["images"]] == [images[2], images[0], images[1]]
    assert (sheet["spu"]["detail"], sheet["category"]["slug"]) == ("主动降噪", "headset")
    listed = await console.get("/api/admin/catalog/products", q="airpods")
    row = listed["items"][0]
    assert (row["id"], row["price"], row["stock"], row["skus"]) == (product["id"], "1799.00", 7, 2)
    assert row["image_url"] == sheet["skus"][1]["images"][0]["url"]  # the cheapest sku's first image

    edited = await console.client.put(
        f"/api/admin/catalog/products/{product['id']}",
        json={
            "name": "AirPods Pro 2",
            "on_shelf": True,
            "spu_detail": "主动降噪，自适应音频",
            "skus": [
                {"price": "1899.00", "stock": 5, "color": "白色", "size": "USB-C"},
                {"price": "1699.00", "stock": 2, "color": "白色", "size": "Lightning"},
            ],
        },
    )
    assert edited.status_code == 200, edited.text
    entries = await console.audit(target=f"product:{product['id']}")
    assert [e["action"] for e in entries] == ["product.update", "product.create"]
    assert entries[0]["before"] == {f"skus.{sku_id}.price": "1799.00", "spu_detail": "主动降噪"}
    assert entries[0]["after"] == {f"skus.{sku_id}.price": "1699.00", "spu_detail": "主动降噪，自适应音频"}
    assert {e["actor"] for e in entries} == {"chief"}
    assert [e["action"] for e in await console.audit(target=f"sku:{sku_id}")] == [
        "sku_image.order",
        "sku_image.add",
        "sku_image.add",
        "sku_image.add",
    ]


async def test_categories_spus_low_stock_and_banners(console: Console) -> None:
    categories = await console.get("/api/admin/catalog/categories")
    assert [(c["slug"], c["products"]) for c in categories][:2] == [("intelligence", 6), ("electricity", 1)]
    added = await console.client.post(
        "/api/admin/catalog/categories", json={"name": "厨房电器", "slug": "kitchen"}
    )
    assert added.status_code == 201, added.text
    bad = await console.client.post("/api/admin/catalog/categories", json={"name": "x", "slug": "Not A Slug"})
    assert bad.status_code == 400
    assert [s["name"] for s in await console.get("/api/admin/catalog/spus", q="iphone")] == ["iPhone 14"]
    low = await console.get("/api/admin/catalog/skus", stock_at_most=1)
    assert [(r["sku_id"], r["stock"], r["product_name"]) for r in low["items"]] == [
        (6, 1, "华为 nova 11 Pro")
    ]

    banners = await console.get("/api/admin/catalog/banners")
    wanted = [b["id"] for b in reversed(banners)]
    ordered = await console.client.put("/api/admin/catalog/banner-order", json={"ids": wanted})
    assert [b["id"] for b in ordered.json()] == wanted
    assert [b["id"] for b in await console.get("/api/admin/catalog/banners")] == wanted
    assert [e["action"] for e in await console.audit(action="banner", actor="chief")] == ["banner.order"] * 6


async def test_users_found_made_operators_and_their_wallets(console: Console) -> None:
    page = await console.get("/api/admin/users", q="ali")
    assert [(u["username"], u["orders"]) for u in page["items"]] == [("alice", 2)]
    admins = await console.get("/api/admin/users", is_admin="true")
    assert [u["username"] for u in admins["items"]] == ["chief", "boss"]
    alice = console.world.alice
    detail = await console.get(f"/api/admin/users/{alice}")
    assert (detail["wallet"]["balance"], detail["orders"], len(detail["addresses"])) == ("96782.00", 2, 1)
    ledger = await console.get(f"/api/admin/users/{alice}/ledger", page_size=2)
    assert ([e["kind"] for e in ledger["items"]], ledger["total"]) == (["payment", "payment"], 3)

    made = await console.client.put(f"/api/admin/users/{alice}/admin", json={"is_admin": True})
    assert (made.status_code, made.json()["is_admin"]) == (200, True)
    unmade = await console.client.put(f"/api/admin/users/{alice}/admin", json={"is_admin": False})
    assert unmade.json()["is_admin"] is False
    myself = await console.client.put(f"/api/admin/users/{console.chief_id}/admin", json={"is_admin": False})
    assert (myself.status_code, myself.json()["code"]) == (409, "cannot_demote_self")
    entries = await console.audit(target=f"user:{alice}")
    assert [(e["before"], e["after"]) for e in entries] == [
        ({"is_admin": True}, {"is_admin": False}),
        ({"is_admin": False}, {"is_admin": True}),
    ]
    recharge = await console.client.post(f"/api/admin/users/{alice}/wallet/recharge", json={"amount": "1.00"})
    assert (recharge.status_code, recharge.json()["code"]) == (409, "recharge_disabled")


async def test_payments_by_trade_number_and_reconciled_from_the_page(console: Console) -> None:
    o5 = console.world.orders["o5"]
    kept = await console.get("/api/admin/payments", state="needs_refund", q=o5.trade_no)
    assert [p["order_id"] for p in kept["items"]] == [o5.id]
    report = await console.client.post("/api/admin/payments/reconcile")
    assert report.status_code == 200, report.text
    assert report.json()["checked"] == 0
    refunded = await console.client.post(f"/api/admin/payments/{kept['items'][0]['id']}/refunded")
    assert refunded.json()["state"] == "refunded"
    actions = [(e["action"], e["actor"]) for e in await console.audit(action="payment")]
    # Nothing was pending: the reconcile asked about nothing, and the log says nothing of it.
    assert actions == [("payment.refunded", "chief"), ("payment.simulate", "system:jiadian")]


async def test_the_audit_log_pages_and_filters(console: Console) -> None:
    everything = await console.get("/api/admin/audit", page_size=5)
    assert everything["total"] > 5
    assert len(everything["items"]) == 5
    by_boss = await console.get("/api/admin/audit", actor="boss")
    assert [e["action"] for e in by_boss["items"]] == ["order.cancel", "order.cancel", "order.ship"]
    assert by_boss["items"][-1]["via"] == "http"
    since = await console.get("/api/admin/audit", actor="boss", since="2026-01-02T11:00:00")  # Shanghai's
    assert [e["action"] for e in since["items"]] == ["order.cancel", "order.cancel"]
    assert (await console.client.get("/api/admin/audit", params={"since": "soon"})).status_code == 400
    long = await console.client.get("/api/admin/audit", params={"actor": "x" * 65})
    assert long.status_code == 400


async def test_a_shopper_sees_none_of_it(console: Console) -> None:
    await console.client.post("/api/auth/logout")
    await console.client.login("shopper", PASSWORD)
    for path in ("/api/admin/dashboard", "/api/admin/orders", "/api/admin/users", "/api/admin/audit"):
        response = await console.client.get(path)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")


async def test_a_buyers_refund_request_decided_from_the_order(console: Console) -> None:
    o3 = console.world.orders["o3"]
    await console.world.container.orders().request_refund(console.world.alice, o3.id, "尺寸不合适")
    board = await console.get("/api/admin/dashboard")
    assert (board["refund_requests"], board["refunds_failed"], board["awaiting_shipment"]) == (1, 0, 0)
    detail = await console.get(f"/api/admin/orders/{o3.id}")
    assert (detail["order"]["status"], detail["can_refund"], detail["can_ship"]) == (
        "refund_requested",
        True,
        False,
    )
    (refund,) = detail["refunds"]
    assert (refund["state"], refund["reason"], refund["method"]) == ("requested", "尺寸不合适", "wallet")
    approved = await console.client.post(f"/api/admin/refunds/{refund['id']}/approve")
    assert approved.json()["state"] == "refunded"
    after = await console.get(f"/api/admin/orders/{o3.id}")
    assert [(s["step"], s["by"]) for s in after["history"]][-2:] == [
        ("refund_decided", "chief"),
        ("refunded", None),
    ]
    assert [e["action"] for e in after["audit"]] == ["refund.approve"]
    assert after["can_refund"] is False
