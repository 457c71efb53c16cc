"""Operator uploads through HTTP with the shop's blob store on FastDFS (the in-test FastDFS server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from tests.conftest import ShopClient, open_client, settings_for
from tests.fakes.fastdfs_server import FakeFastDfs, fastdfs_server  # noqa: F401  (a fixture)
from tests.files_support import breakable_commits, png

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.fastdfs import FastDfsBlobStore
from jiadian.adapters.sql.migrate import upgrade
from jiadian.container import Container, build_container

PASSWORD = "secret123"
BASE = "/api/admin/catalog"
IMAGE_BASE_URL = "http://img.jiadian.test:8888"
STORAGE_DELETE = ("storage", 12)
IPHONE = {
    "category": "intelligence",
    "spu": "iPhone 14",
    "name": "iPhone 14 Pro",
    "skus": [{"price": "8888.00", "stock": 5, "color": "白色"}],
}


@dataclass
class Shop:
    client: ShopClient
    container: Container
    server: FakeFastDfs
    product_id: int
    sku_id: int

    async def upload_image(self, data: bytes | None = None, sku_id: int | None = None) -> Any:
        return await self.client.post(
            f"{BASE}/skus/{sku_id or self.sku_id}/images",
            files={"image": ("p.png", data or png(), "image/png")},
        )

    async def upload_banner(self, name: str = "双十一") -> Any:
        return await self.client.post(
            f"{BASE}/banners", data={"name": name}, files={"image": ("b.png", png("blue"), "image/png")}
        )


@pytest.fixture
async def shop(
    tmp_path: Path,
    clock: FixedClock,
    fastdfs_server: FakeFastDfs,  # noqa: F811
) -> AsyncIterator[Shop]:
    """The app on SQLite, configured (by its settings) to keep files on the in-test FastDFS."""
    host, port = fastdfs_server.tracker_address
    container = build_container(
        settings_for(
            tmp_path,
            blob_store="fastdfs",
            fastdfs_trackers=[f"{host}:{port}"],
            fastdfs_base_url=IMAGE_BASE_URL + "/",
            fastdfs_timeout=2.0,
        )
    )
    container.clock.override(clock)
    assert isinstance(container.blobs(), FastDfsBlobStore)
    await upgrade(container.engine())
    await container.accounts().create_user("boss", "boss@example.com", PASSWORD, is_admin=True)
    await container.catalog_admin().add_category("智能设备", "intelligence")
    async for client in open_client(container):
        await client.login("boss", PASSWORD)
        created = (await client.post(f"{BASE}/products", json=IPHONE)).json()
        yield Shop(client, container, fastdfs_server, created["id"], created["skus"][0]["id"])


async def test_a_product_image_is_stored_in_fastdfs_and_shown_from_its_http_front(shop: Shop) -> None:
    response = await shop.upload_image(png("green"))

    assert response.status_code == 201, response.text
    image = response.json()
    assert image["file_id"].startswith("group1/M00/")
    assert shop.server.files[image["file_id"]] == png("green")
    assert image["url"] == f"{IMAGE_BASE_URL}/{image['file_id']}"

    detail = (await shop.client.get(f"/api/catalog/products/{shop.product_id}")).json()
    assert detail["images"] == [image["url"]]
    assert detail["skus"][0]["images"] == [image["url"]]
    home = (await shop.client.get("/api/catalog/home")).json()
    (card,) = [p for c in home["categories"] for p in c["products"]]
    assert card["image_url"] == image["url"]


async def test_a_banner_is_stored_in_fastdfs_and_shown_on_the_home_page(shop: Shop) -> None:
    response = await shop.upload_banner()

    assert response.status_code == 201, response.text
    banner = response.json()
    assert shop.server.files[banner["file_id"]] == png("blue")
    home = (await shop.client.get("/api/catalog/home")).json()
    assert home["banners"] == [{"name": "双十一", "image_url": f"{IMAGE_BASE_URL}/{banner['file_id']}"}]
    banners = (await shop.client.get("/api/catalog/banners")).json()
    assert banners == home["banners"]


async def test_replacing_and_deleting_remove_the_old_files_from_fastdfs(shop: Shop) -> None:
    image = (await shop.upload_image(png("red"))).json()
    banner = (await shop.upload_banner()).json()

    new_image = await shop.client.put(
        f"{BASE}/skus/{shop.sku_id}/images/{image['id']}",
        files={"image": ("n.png", png("white"), "image/png")},
    )
    new_banner = await shop.client.put(
        f"{BASE}/banners/{banner['id']}/image", files={"image": ("n.png", png("black"), "image/png")}
    )

    assert (new_image.status_code, new_banner.status_code) == (200, 200)
    assert set(shop.server.files) == {new_image.json()["file_id"], new_banner.json()["file_id"]}

    assert (await shop.client.delete(f"{BASE}/skus/{shop.sku_id}/images/{image['id']}")).status_code == 204
    assert (await shop.client.delete(f"{BASE}/banners/{banner['id']}")).status_code == 204
    assert shop.server.files == {}


async def test_tracker_down_during_an_upload_is_503_and_writes_no_row(shop: Shop) -> None:
    shop.server.stop_tracker()

    image = await shop.upload_image()
    banner = await shop.upload_banner()

    for response in (image, banner):
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["code"] == "storage_unavailable"
        assert body["detail"]
        assert "Traceback" not in response.text
    assert (await shop.client.get(f"{BASE}/skus/{shop.sku_id}/images")).json() == []
    assert (await shop.client.get(f"{BASE}/banners")).json() == []
    assert shop.server.files == {}

    shop.server.start_tracker()
    assert (await shop.upload_image()).status_code == 201  # and back once the tracker is


async def test_a_database_write_that_fails_after_the_upload_removes_the_file_from_fastdfs(shop: Shop) -> None:
    breaker = breakable_commits(shop.container)
    breaker.error = lambda: OperationalError(
        "COMMIT", {}, Exception("Lost connection to server during query")
    )
    breaker.broken = True

    image = await shop.upload_image()
    banner = await shop.upload_banner()

    assert (image.status_code, banner.status_code) == (503, 503)
    assert image.json()["code"] == "service_unavailable"
    assert breaker.failed == 2
    assert shop.server.files == {}
    assert shop.server.commands.count(STORAGE_DELETE) == 2
    breaker.broken = False
    assert (await shop.client.get(f"{BASE}/skus/{shop.sku_id}/images")).json() == []
    assert (await shop.client.get(f"{BASE}/banners")).json() == []


async def test_an_image_for_an_unknown_sku_is_404_and_removed_from_fastdfs(shop: Shop) -> None:
    response = await shop.upload_image(sku_id=999)

    assert response.status_code == 404
    assert shop.server.files == {}
    assert STORAGE_DELETE in shop.server.commands


async def test_no_local_media_route_with_fastdfs(shop: Shop) -> None:
    image = (await shop.upload_image()).json()

    assert (await shop.client.get(f"/media/{image['file_id']}")).status_code == 404


# --- the avatar (PUT /api/me/avatar), on the same FastDFS ------------------------------------------


async def put_avatar(shop: Shop, data: bytes) -> Any:
    return await shop.client.put("/api/me/avatar", files={"image": ("me.png", data, "image/png")})


async def test_an_avatar_is_stored_in_fastdfs_and_the_profile_points_at_its_http_front(shop: Shop) -> None:
    response = await put_avatar(shop, png("purple"))

    assert response.status_code == 200, response.text
    url = response.json()["avatar_url"]
    assert url.startswith(f"{IMAGE_BASE_URL}/group1/M00/")
    file_id = url.removeprefix(f"{IMAGE_BASE_URL}/")
    assert shop.server.files == {file_id: png("purple")}
    assert (await shop.client.get("/api/me")).json()["avatar_url"] == url


async def test_a_new_avatar_removes_the_old_file_from_fastdfs(shop: Shop) -> None:
    first = (await put_avatar(shop, png("purple"))).json()["avatar_url"]

    second = (await put_avatar(shop, png("orange"))).json()["avatar_url"]

    assert second != first
    assert list(shop.server.files) == [second.removeprefix(f"{IMAGE_BASE_URL}/")]


async def test_an_avatar_with_the_tracker_down_is_503_and_keeps_the_old_one(shop: Shop) -> None:
    first = (await put_avatar(shop, png("purple"))).json()["avatar_url"]
    shop.server.stop_tracker()

    response = await put_avatar(shop, png("orange"))

    assert response.status_code == 503, response.text
    assert response.json()["code"] == "storage_unavailable"
    assert (await shop.client.get("/api/me")).json()["avatar_url"] == first


async def test_an_avatar_whose_row_does_not_commit_is_removed_from_fastdfs(shop: Shop) -> None:
    first = (await put_avatar(shop, png("purple"))).json()["avatar_url"]
    breaker = breakable_commits(shop.container)
    breaker.error = lambda: OperationalError(
        "COMMIT", {}, Exception("Lost connection to server during query")
    )
    breaker.broken = True

    response = await put_avatar(shop, png("orange"))

    assert response.status_code == 503, response.text
    assert breaker.failed == 1
    assert list(shop.server.files) == [first.removeprefix(f"{IMAGE_BASE_URL}/")]
    breaker.broken = False
    assert (await shop.client.get("/api/me")).json()["avatar_url"] == first
