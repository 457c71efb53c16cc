"""The operator's catalogue over HTTP, on SQLite and the local blob store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ShopClient, open_client
from tests.files_support import big_png, png

from jiadian.application.files import MAX_IMAGE_BYTES
from jiadian.container import Container

PASSWORD = "secret123"
BASE = "/api/admin/catalog"
IPHONE = {
    "category": "intelligence",
    "spu": "iPhone 14",
    "name": "iPhone 14 Pro",
    "spu_detail": "A16 仿生芯片",
    "skus": [
        {"price": "8888.00", "stock": 5, "color": "白色", "size": "256G"},
        {"price": "9999.00", "stock": 3, "color": "黑色", "size": "512G"},
    ],
}


@dataclass
class Shop:
    client: ShopClient
    container: Container

    @property
    def media(self) -> Path:
        return self.container.settings().media_dir

    def stored_files(self) -> list[Path]:
        return sorted(p for p in self.media.rglob("*") if p.is_file())

    async def product(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post(f"{BASE}/products", json=body or IPHONE)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def image(self, sku_id: int, data: bytes | None = None) -> dict[str, Any]:
        response = await self.client.post(
            f"{BASE}/skus/{sku_id}/images", files={"image": ("photo.png", data or png(), "image/png")}
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def banner(self, name: str = "双十一", **fields: str) -> dict[str, Any]:
        response = await self.client.post(
            f"{BASE}/banners",
            data={"name": name, **fields},
            files={"image": ("b.png", png("blue"), "image/png")},
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]


async def given_people(container: Container) -> None:
    accounts = container.accounts()
    await accounts.create_user("boss", "boss@example.com", PASSWORD, is_admin=True)
    await accounts.create_user("alice", "alice@example.com", PASSWORD)
    await container.catalog_admin().add_category("智能设备", "intelligence")


@pytest.fixture
async def anonymous(sqlite: Container) -> AsyncIterator[ShopClient]:
    await given_people(sqlite)
    async for client in open_client(sqlite):
        yield client


@pytest.fixture
async def shop(sqlite: Container) -> AsyncIterator[Shop]:
    await given_people(sqlite)
    async for client in open_client(sqlite):
        await client.login("boss", PASSWORD)
        yield Shop(client, sqlite)


IMAGE = {"files": {"image": ("a.png", b"", "image/png")}}
ROUTES = [
    ("GET", "/products/1", {}),
    ("POST", "/products", {"json": IPHONE}),
    ("PUT", "/products/1", {"json": {"name": "x", "skus": [{"price": "1.00", "stock": 1}]}}),
    ("POST", "/products/1/shelve", {}),
    ("POST", "/products/1/unshelve", {}),
    ("PUT", "/skus/1/stock", {"json": {"stock": 1}}),
    ("PUT", "/skus/1/price", {"json": {"price": "1.00"}}),
    ("GET", "/skus/1/images", {}),
    ("POST", "/skus/1/images", IMAGE),
    ("PUT", "/skus/1/images/1", IMAGE),
    ("DELETE", "/skus/1/images/1", {}),
    ("GET", "/banners", {}),
    ("POST", "/banners", {"data": {"name": "x"}, **IMAGE}),
    ("PUT", "/banners/1/image", IMAGE),
    ("POST", "/banners/1/activate", {}),
    ("POST", "/banners/1/deactivate", {}),
    ("DELETE", "/banners/1", {}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), ROUTES)
async def test_operators_only(anonymous: ShopClient, method: str, path: str, kwargs: dict[str, Any]) -> None:
    response = await anonymous.request(method, BASE + path, **kwargs)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "not_authenticated"

    await anonymous.login("alice", PASSWORD)
    response = await anonymous.request(method, BASE + path, **kwargs)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden"


# --- products and skus ---------------------------------------------------------------------------


async def test_create_a_product_with_its_skus(shop: Shop) -> None:
    created = await shop.product()

    assert created["name"] == "iPhone 14 Pro"
    assert created["on_shelf"] is True
    assert [(s["price"], s["stock"], s["color"], s["size"]) for s in created["skus"]] == [
        ("8888.00", 5, "白色", "256G"),
        ("9999.00", 3, "黑色", "512G"),
    ]
    detail = (await shop.client.get(f"/api/catalog/products/{created['id']}")).json()
    assert detail["spu"]["detail"] == "A16 仿生芯片"
    assert [s["id"] for s in detail["skus"]] == [s["id"] for s in created["skus"]]


async def test_posting_the_same_product_again_updates_it(shop: Shop) -> None:
    first = await shop.product()
    body = {**IPHONE, "skus": [{"price": "7999.00", "stock": 9, "color": "白色", "size": "256G"}]}

    again = await shop.product(body)

    assert again["id"] == first["id"]
    assert [(s["id"], s["price"], s["stock"]) for s in again["skus"]] == [
        (first["skus"][0]["id"], "7999.00", 9),
        (first["skus"][1]["id"], "9999.00", 3),
    ]


async def test_update_a_product_by_id(shop: Shop) -> None:
    created = await shop.product()

    response = await shop.client.put(
        f"{BASE}/products/{created['id']}",
        json={
            "name": "iPhone 14 Pro 新款",
            "on_shelf": False,
            "skus": [{"price": "1.50", "stock": 0, "color": "紫色"}],
        },
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["on_shelf"]) == ("iPhone 14 Pro 新款", False)
    assert [s["color"] for s in body["skus"]] == ["白色", "黑色", "紫色"]
    assert (await shop.client.get(f"/api/catalog/products/{created['id']}")).status_code == 404
    fetched = (await shop.client.get(f"{BASE}/products/{created['id']}")).json()
    # The sheet says more (spu, category, each sku's images) and everything the answer said.
    assert {key: fetched[key] for key in body if key != "skus"} == {
        k: v for k, v in body.items() if k != "skus"
    }
    assert [{key: sku[key] for key in body["skus"][0]} for sku in fetched["skus"]] == body["skus"]
    assert fetched["spu"]["name"] == "iPhone 14"
    assert fetched["category"]["slug"] == "intelligence"


async def test_shelve_and_unshelve(shop: Shop) -> None:
    product_id = (await shop.product())["id"]

    off = await shop.client.post(f"{BASE}/products/{product_id}/unshelve")
    assert (off.status_code, off.json()["on_shelf"]) == (200, False)
    assert (await shop.client.get(f"/api/catalog/products/{product_id}")).status_code == 404

    on = await shop.client.post(f"{BASE}/products/{product_id}/shelve")
    assert (on.status_code, on.json()["on_shelf"]) == (200, True)
    assert (await shop.client.get(f"/api/catalog/products/{product_id}")).status_code == 200


async def test_set_stock_and_price(shop: Shop) -> None:
    sku_id = (await shop.product())["skus"][0]["id"]

    stock = await shop.client.put(f"{BASE}/skus/{sku_id}/stock", json={"stock": 42})
    price = await shop.client.put(f"{BASE}/skus/{sku_id}/price", json={"price": "6666.5"})

    assert (stock.status_code, stock.json()["stock"]) == (200, 42)
    assert (price.status_code, price.json()["price"]) == (200, "6666.50")
    detail = (await shop.client.get(f"/api/catalog/products/{price.json()['product_id']}")).json()
    assert (detail["skus"][0]["stock"], detail["skus"][0]["price"]) == (42, "6666.50")


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/products/999", {}),
        ("PUT", "/products/999", {"json": {"name": "x", "skus": [{"price": "1.00", "stock": 1}]}}),
        ("POST", "/products/999/shelve", {}),
        ("POST", "/products/999/unshelve", {}),
        ("PUT", "/skus/999/stock", {"json": {"stock": 1}}),
        ("PUT", "/skus/999/price", {"json": {"price": "1.00"}}),
        ("GET", "/skus/999/images", {}),
        ("POST", "/skus/999/images", {"files": {"image": ("a.png", png(), "image/png")}}),
        ("PUT", "/skus/1/images/999", {"files": {"image": ("a.png", png(), "image/png")}}),
        ("DELETE", "/skus/1/images/999", {}),
        ("PUT", "/banners/999/image", {"files": {"image": ("a.png", png(), "image/png")}}),
        ("POST", "/banners/999/activate", {}),
        ("POST", "/banners/999/deactivate", {}),
        ("DELETE", "/banners/999", {}),
        ("POST", "/products", {"json": {**IPHONE, "category": "no-such-category"}}),
    ],
)
async def test_unknown_things_are_404_and_leave_no_file(
    shop: Shop, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    await shop.product()  # sku 1 exists, so the image routes fail on the image

    response = await shop.client.request(method, BASE + path, **kwargs)

    assert response.status_code == 404, response.text
    assert response.json()["code"] == "not_found"
    assert shop.stored_files() == []


@pytest.mark.parametrize(
    "body",
    [
        {**IPHONE, "skus": []},
        {**IPHONE, "skus": [{"price": "abc", "stock": 1}]},
        {**IPHONE, "skus": [{"price": "1.999", "stock": 1}]},
        {**IPHONE, "skus": [{"price": "1.00", "stock": -1}]},
        {**IPHONE, "name": " "},
        {"name": "no category"},
    ],
)
async def test_a_bad_product_is_400(shop: Shop, body: dict[str, Any]) -> None:
    response = await shop.client.post(f"{BASE}/products", json=body)

    assert response.status_code == 400, response.text
    assert response.json()["code"] in {"validation_error", "invalid_amount"}
    assert (await shop.client.get("/api/catalog/products")).json()["total"] == 0


async def test_bad_stock_and_price_are_400(shop: Shop) -> None:
    sku_id = (await shop.product())["skus"][0]["id"]

    assert (await shop.client.put(f"{BASE}/skus/{sku_id}/stock", json={"stock": -1})).status_code == 400
    assert (await shop.client.put(f"{BASE}/skus/{sku_id}/price", json={"price": "-1.00"})).status_code == 400
    assert (await shop.client.put(f"{BASE}/skus/{sku_id}/price", json={"price": "1e3"})).status_code == 400


# --- sku images --------------------------------------------------------------------------------------


async def test_an_uploaded_image_is_served_and_shown_on_the_product(shop: Shop) -> None:
    created = await shop.product()
    sku_id = created["skus"][0]["id"]

    image = await shop.image(sku_id, png("green"))

    assert image["sku_id"] == sku_id
    assert image["url"] == f"/media/{image['file_id']}"
    assert image["file_id"].endswith(".png")
    assert (await shop.client.get(image["url"])).content == png("green")
    detail = (await shop.client.get(f"/api/catalog/products/{created['id']}")).json()
    assert detail["images"] == [image["url"]]
    listed = (await shop.client.get(f"{BASE}/skus/{sku_id}/images")).json()
    assert listed == [image]
    (card,) = (await shop.client.get("/api/catalog/products")).json()["items"]
    assert card["image_url"] == image["url"]


async def test_an_image_is_recognised_by_content_not_by_name(shop: Shop) -> None:
    sku_id = (await shop.product())["skus"][0]["id"]

    response = await shop.client.post(
        f"{BASE}/skus/{sku_id}/images", files={"image": ("photo.png", b"<?php echo 'hi';", "image/png")}
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"

    gif_named_txt = await shop.client.post(
        f"{BASE}/skus/{sku_id}/images", files={"image": ("notes.txt", png(), "text/plain")}
    )
    assert gif_named_txt.status_code == 201
    assert gif_named_txt.json()["file_id"].endswith(".png")
    assert len(shop.stored_files()) == 1


@pytest.mark.parametrize("content", ["image", "not an image"])
async def test_an_image_over_3_mib_is_413(shop: Shop, content: str) -> None:
    sku_id = (await shop.product())["skus"][0]["id"]
    data = big_png(MAX_IMAGE_BYTES + 1) if content == "image" else b"\0" * (MAX_IMAGE_BYTES + 1)

    response = await shop.client.post(
        f"{BASE}/skus/{sku_id}/images", files={"image": ("big.png", data, "image/png")}
    )

    assert response.status_code == 413, response.text
    assert response.json()["code"] == "payload_too_large"
    assert shop.stored_files() == []


async def test_a_body_over_the_request_limit_is_413_too(shop: Shop) -> None:
    sku_id = (await shop.product())["skus"][0]["id"]

    response = await shop.client.post(
        f"{BASE}/skus/{sku_id}/images", files={"image": ("huge.png", b"\0" * (5 * 1024 * 1024), "image/png")}
    )

    assert response.status_code == 413, response.text
    assert response.json()["code"] == "payload_too_large"
    assert shop.stored_files() == []


async def test_an_upload_without_the_image_field_is_400(shop: Shop) -> None:
    sku_id = (await shop.product())["skus"][0]["id"]

    missing = await shop.client.post(
        f"{BASE}/skus/{sku_id}/images", files={"photo": ("a.png", png(), "image/png")}
    )
    as_text = await shop.client.post(f"{BASE}/skus/{sku_id}/images", data={"image": "not a file"})
    as_json = await shop.client.post(f"{BASE}/skus/{sku_id}/images", json={"image": "x"})

    assert [r.status_code for r in (missing, as_text, as_json)] == [400, 400, 400]
    assert shop.stored_files() == []


async def test_replace_and_delete_a_sku_image(shop: Shop) -> None:
    created = await shop.product()
    sku_id = created["skus"][0]["id"]
    first = await shop.image(sku_id, png("red"))
    second = await shop.image(sku_id, png("green"))

    replaced = await shop.client.put(
        f"{BASE}/skus/{sku_id}/images/{first['id']}", files={"image": ("b.png", png("blue"), "image/png")}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["id"] == first["id"]
    assert (await shop.client.get(first["url"])).status_code == 404
    assert (await shop.client.get(replaced.json()["url"])).content == png("blue")

    deleted = await shop.client.delete(f"{BASE}/skus/{sku_id}/images/{first['id']}")
    assert deleted.status_code == 204
    assert (await shop.client.get(replaced.json()["url"])).status_code == 404
    assert (await shop.client.get(f"{BASE}/skus/{sku_id}/images")).json() == [second]
    assert len(shop.stored_files()) == 1


async def test_an_image_of_another_sku_is_404(shop: Shop) -> None:
    skus = (await shop.product())["skus"]
    image = await shop.image(skus[0]["id"])

    response = await shop.client.delete(f"{BASE}/skus/{skus[1]['id']}/images/{image['id']}")

    assert response.status_code == 404
    assert (await shop.client.get(image["url"])).status_code == 200


# --- banners -----------------------------------------------------------------------------------------


async def test_add_a_banner_and_it_shows_on_the_home_page(shop: Shop) -> None:
    banner = await shop.banner("双十一", position="2")

    assert (banner["name"], banner["active"], banner["position"]) == ("双十一", True, 2)
    assert banner["image_url"] == f"/media/{banner['file_id']}"
    assert (await shop.client.get(banner["image_url"])).content == png("blue")
    home = (await shop.client.get("/api/catalog/home")).json()
    assert home["banners"] == [{"name": "双十一", "image_url": banner["image_url"]}]


async def test_activate_and_deactivate_a_banner(shop: Shop) -> None:
    banner = await shop.banner("双十一", active="false")
    assert banner["active"] is False
    assert (await shop.client.get("/api/catalog/banners")).json() == []

    on = await shop.client.post(f"{BASE}/banners/{banner['id']}/activate")
    assert (on.status_code, on.json()["active"]) == (200, True)
    assert [b["name"] for b in (await shop.client.get("/api/catalog/banners")).json()] == ["双十一"]

    off = await shop.client.post(f"{BASE}/banners/{banner['id']}/deactivate")
    assert (off.status_code, off.json()["active"]) == (200, False)
    assert (await shop.client.get("/api/catalog/banners")).json() == []
    assert [b["id"] for b in (await shop.client.get(f"{BASE}/banners")).json()] == [banner["id"]]


async def test_replace_a_banner_image(shop: Shop) -> None:
    banner = await shop.banner()

    response = await shop.client.put(
        f"{BASE}/banners/{banner['id']}/image", files={"image": ("r.png", png("red"), "image/png")}
    )

    assert response.status_code == 200, response.text
    assert response.json()["name"] == banner["name"]
    assert (await shop.client.get(banner["image_url"])).status_code == 404
    assert (await shop.client.get(response.json()["image_url"])).content == png("red")
    home = (await shop.client.get("/api/catalog/home")).json()
    assert [b["image_url"] for b in home["banners"]] == [response.json()["image_url"]]


async def test_delete_a_banner_and_its_file(shop: Shop) -> None:
    banner = await shop.banner()

    response = await shop.client.delete(f"{BASE}/banners/{banner['id']}")

    assert response.status_code == 204
    assert (await shop.client.get(banner["image_url"])).status_code == 404
    assert (await shop.client.get("/api/catalog/home")).json()["banners"] == []
    assert shop.stored_files() == []


@pytest.mark.parametrize(
    ("fields", "image"),
    [
        ({"name": "x"}, b"not an image"),
        ({"name": " "}, png()),
        ({"name": "x" * 51}, png()),
        ({"name": "x", "position": "first"}, png()),
        ({}, png()),
    ],
)
async def test_a_bad_banner_is_400_and_leaves_no_file(
    shop: Shop, fields: dict[str, str], image: bytes
) -> None:
    response = await shop.client.post(
        f"{BASE}/banners", data=fields, files={"image": ("b.png", image, "image/png")}
    )

    assert response.status_code == 400, response.text
    assert shop.stored_files() == []


async def test_a_banner_image_over_3_mib_is_413(shop: Shop) -> None:
    response = await shop.client.post(
        f"{BASE}/banners",
        data={"name": "大图"},
        files={"image": ("b.png", big_png(MAX_IMAGE_BYTES + 1), "image/png")},
    )

    assert response.status_code == 413, response.text
    assert response.json()["code"] == "payload_too_large"
    assert (await shop.client.get(f"{BASE}/banners")).json() == []


async def test_the_operator_routes_are_in_the_openapi_schema(shop: Shop) -> None:
    schema = (await shop.client.get("/schema/openapi.json")).json()

    assert f"{BASE}/skus/{{sku_id}}/images" in schema["paths"]
    upload = schema["paths"][f"{BASE}/banners"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
