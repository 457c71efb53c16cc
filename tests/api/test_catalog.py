"""The catalogue through HTTP (anonymous), on SQLite: API.md's "Catalogue" table and its conventions."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from tests.catalog_support import OFF_SHELF, ORDERS, Shop, given_shop, insert_reviews
from tests.conftest import ShopClient, open_client, settings_for

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.demo import DemoLoader
from jiadian.adapters.sql.migrate import upgrade
from jiadian.container import Container, build_container

AMOUNT = r"^\d{1,9}\.\d{2}$"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert "Traceback" not in response.text
    return body


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


# Read-only tests share one app per module (its event loop too); tests that write use `client`.
read_only = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
async def shop(sqlite: Container, clock: FixedClock) -> Shop:
    return await given_shop(sqlite.catalog_admin(), clock)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shop_client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ShopClient]:
    """The standard catalogue of `tests.catalog_support` behind HTTP, for read-only tests."""
    container = build_container(settings_for(tmp_path_factory.mktemp("shop")))
    clock = FixedClock()
    container.clock.override(clock)
    await upgrade(container.engine())
    await given_shop(container.catalog_admin(), clock)
    async for client in open_client(container):
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ShopClient]:
    """The demo catalogue (`DemoLoader`) with its generated images behind HTTP, for read-only tests."""
    container = build_container(settings_for(tmp_path_factory.mktemp("demo")))
    await upgrade(container.engine())
    assert await DemoLoader(container.catalog_admin(), container.blobs(), container.search_admin()).load()
    async for client in open_client(container):
        yield client


# --- home ------------------------------------------------------------------------------------


@read_only
async def test_home_of_the_demo_shop(demo: ShopClient) -> None:
    response = await demo.get("/api/catalog/home")
    assert response.status_code == 200
    home = response.json()
    assert [c["slug"] for c in home["categories"]] == ["intelligence", "electricity", "computer", "headset"]
    assert [c["name"] for c in home["categories"]] == ["智能设备", "家用电器", "电脑产品", "高端耳机"]
    for category in home["categories"]:
        assert set(category) == {"id", "name", "slug", "image_url", "nav", "products"}
        assert 1 <= len(category["products"]) <= 4
        assert 1 <= len(category["nav"]) <= 4
        assert len(set(category["nav"])) == len(category["nav"])
        for card in category["products"]:
            assert set(card) == {
                "id",
                "name",
                "sku_id",
                "price",
                "max_price",
                "sales",
                "image_url",
                "category",
            }
            assert re.fullmatch(AMOUNT, card["price"]), card
            assert card["category"] == category["slug"]
            assert card["image_url"].startswith("/media/")
    assert len(home["banners"]) == 4
    assert [b["name"] for b in home["banners"]] == ["轮播图1", "轮播图2", "轮播图3", "轮播图4"]
    assert all(set(b) == {"name", "image_url"} for b in home["banners"])


@read_only
async def test_categories_and_banners_of_the_demo_shop(demo: ShopClient) -> None:
    categories = (await demo.get("/api/catalog/categories")).json()
    assert [set(c) for c in categories] == [{"id", "name", "slug", "image_url"}] * 4
    banners = (await demo.get("/api/catalog/banners")).json()
    assert len(banners) == 4


@read_only
async def test_media_serves_stored_images(demo: ShopClient) -> None:
    home = (await demo.get("/api/catalog/home")).json()
    for url in [home["banners"][0]["image_url"], home["categories"][0]["products"][0]["image_url"]]:
        response = await demo.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    missing = await demo.get("/media/00/00000000000000000000000000000000.png")
    assert missing.status_code == 404
    assert (await demo.get("/media/../shop.sqlite3")).status_code == 404


async def test_the_cached_home_follows_an_operator_write(
    client: ShopClient, sqlite: Container, shop: Shop
) -> None:
    before = (await client.get("/api/catalog/home")).json()
    newest = before["categories"][0]["products"][0]
    assert (newest["id"], newest["price"]) == (5, "1999.00")
    await sqlite.catalog_admin().set_price(newest["sku_id"], "1799.00")
    after = (await client.get("/api/catalog/home")).json()
    assert after["categories"][0]["products"][0]["price"] == "1799.00"


# --- lists -----------------------------------------------------------------------------------


@read_only
@pytest.mark.parametrize("sort", list(ORDERS))
async def test_every_sort_key(shop_client: ShopClient, sort: str) -> None:
    response = await shop_client.get("/api/catalog/products", params={"sort": sort, "page_size": 50})
    assert response.status_code == 200
    page = response.json()
    assert ids(page) == ORDERS[sort]
    assert (page["page"], page["page_size"], page["total"], page["pages"]) == (1, 50, 7, 1)


@read_only
async def test_the_default_list_is_newest_first_eight_a_page(shop_client: ShopClient) -> None:
    page = (await shop_client.get("/api/catalog/products")).json()
    assert ids(page) == ORDERS["-date"]
    assert page["page_size"] == 8


@read_only
async def test_demo_lists_are_sorted(demo: ShopClient) -> None:
    prices = [
        float(c["price"])
        for c in (await demo.get("/api/catalog/products", params={"sort": "-price", "page_size": 50})).json()[
            "items"
        ]
    ]
    assert prices == sorted(prices, reverse=True)
    assert len(prices) == 24
    sales = [
        c["sales"]
        for c in (await demo.get("/api/catalog/products", params={"sort": "sales", "page_size": 50})).json()[
            "items"
        ]
    ]
    assert sales == sorted(sales)


@read_only
async def test_list_of_a_category(shop_client: ShopClient) -> None:
    page = (
        await shop_client.get("/api/catalog/products", params={"category": "intelligence", "sort": "price"})
    ).json()
    assert ids(page) == [5, 3, 4, 1, 2]
    assert {c["category"] for c in page["items"]} == {"intelligence"}


@read_only
async def test_a_page_past_the_end_answers_the_last_page(shop_client: ShopClient) -> None:
    page = (
        await shop_client.get("/api/catalog/products", params={"sort": "price", "page_size": 3, "page": 99})
    ).json()
    assert (ids(page), page["page"], page["pages"], page["total"]) == ([8], 3, 3, 7)


@read_only
@pytest.mark.parametrize("raw", ["abc", "", "1.5", "-2", "0", "二"])
async def test_a_page_that_is_not_a_number_answers_the_first(shop_client: ShopClient, raw: str) -> None:
    page = (
        await shop_client.get("/api/catalog/products", params={"sort": "price", "page_size": 3, "page": raw})
    ).json()
    assert (ids(page), page["page"]) == ([7, 5, 3], 1)


@read_only
@pytest.mark.parametrize("page_size", ["0", "51", "-1", "1000000", "abc"])
async def test_page_size_is_bounded(shop_client: ShopClient, page_size: str) -> None:
    for path in ("/api/catalog/products", "/api/catalog/search?q=pro", "/api/catalog/products/1/reviews"):
        response = await shop_client.get(path, params={"page_size": page_size})
        assert_error(response, 400, "validation_error")


@read_only
async def test_the_maximum_page_size_is_allowed(shop_client: ShopClient) -> None:
    assert (await shop_client.get("/api/catalog/products", params={"page_size": 50})).status_code == 200
    assert (await shop_client.get("/api/catalog/products", params={"page_size": 1})).status_code == 200


@read_only
@pytest.mark.parametrize("sort", ["name", "PRICE", "+price", "", "price,-sales"])
async def test_a_bad_sort_key_is_refused(shop_client: ShopClient, sort: str) -> None:
    assert_error(
        await shop_client.get("/api/catalog/products", params={"sort": sort}), 400, "validation_error"
    )


@read_only
async def test_an_unknown_category_is_not_found(shop_client: ShopClient) -> None:
    assert_error(
        await shop_client.get("/api/catalog/products", params={"category": "toys"}), 404, "not_found"
    )


# --- search ----------------------------------------------------------------------------------


@read_only
async def test_search(shop_client: ShopClient) -> None:
    page = (await shop_client.get("/api/catalog/search", params={"q": "IPHONE"})).json()
    assert ids(page) == [1, 2]
    assert page["total"] == 2
    assert ids((await shop_client.get("/api/catalog/search", params={"q": "50%"})).json()) == [7]


@read_only
async def test_search_pages(shop_client: ShopClient) -> None:
    page = (
        await shop_client.get("/api/catalog/search", params={"q": "pro", "page_size": 2, "page": 5})
    ).json()
    assert (ids(page), page["page"], page["pages"]) == ([8], 3, 3)


@read_only
@pytest.mark.parametrize("query", ["", "   "])
async def test_search_needs_a_query(shop_client: ShopClient, query: str) -> None:
    assert_error(await shop_client.get("/api/catalog/search", params={"q": query}), 400, "validation_error")
    assert_error(await shop_client.get("/api/catalog/search"), 400, "validation_error")
    assert_error(
        await shop_client.get("/api/catalog/search", params={"q": "x" * 101}), 400, "validation_error"
    )


# --- detail and reviews ----------------------------------------------------------------------


@read_only
async def test_detail(shop_client: ShopClient) -> None:
    response = await shop_client.get("/api/catalog/products/1")
    assert response.status_code == 200
    detail = response.json()
    assert set(detail) == {"id", "name", "spu", "category", "images", "specs", "skus", "hot", "reviews"}
    assert detail["spu"] == {"id": 1, "name": "iPhone 14", "detail": "iPhone 14 详情"}
    assert detail["category"] == "intelligence"
    assert detail["specs"] == {"sizes": ["8G+256G", "8G+512G"], "colors": ["白色", "黑色"]}
    assert detail["skus"][0] == {
        "id": 1,
        "size": "8G+256G",
        "color": "白色",
        "price": "8888.00",
        "stock": 5,
        "sales": 100,
        "images": ["/media/p1/a.png", "/media/p1/b.png"],
    }
    assert detail["images"] == ["/media/p1/a.png", "/media/p1/b.png", "/media/p1/c.png"]
    assert [h["id"] for h in detail["hot"]] == [5, 3, 2, 4]
    assert detail["reviews"] == {"count": 0, "average_score": "0.00", "satisfaction": "0.00"}


async def test_reviews(client: ShopClient, sqlite: Container, clock: FixedClock, shop: Shop) -> None:
    empty = (await client.get("/api/catalog/products/1/reviews")).json()
    assert empty == {"items": [], "page": 1, "page_size": 8, "total": 0, "pages": 1}
    # Read around the catalogue's caches: the page, once seen, keeps its review summary until a review
    # through the shop moves it (these rows are written by hand).
    row = await sqlite.catalog_queries().detail(1)
    assert row is not None
    first = row.skus[0].sku
    moments = await insert_reviews(sqlite.engine(), 1, "iPhone 14 Pro", first, [5, 1, 3], clock.now())
    page = (await client.get("/api/catalog/products/1/reviews", params={"page_size": 2})).json()
    assert (page["total"], page["pages"]) == (3, 2)
    assert page["items"][0] == {
        "id": 3,
        "username": "r**",  # masked: the first character, then **
        "score": 3,
        "content": "评论2",
        "created_at": moments[2].isoformat(),
        "sku": {"id": 1, "size": "8G+256G", "color": "白色"},
    }
    last = (await client.get("/api/catalog/products/1/reviews", params={"page_size": 2, "page": 9})).json()
    assert ([r["content"] for r in last["items"]], last["page"]) == (["评论0"], 2)
    summary = (await client.get("/api/catalog/products/1")).json()["reviews"]
    assert summary == {"count": 3, "average_score": "3.00", "satisfaction": "33.33"}  # only the 好评


@read_only
async def test_an_off_shelf_product_is_not_found_and_not_listed(shop_client: ShopClient) -> None:
    assert_error(await shop_client.get(f"/api/catalog/products/{OFF_SHELF}"), 404, "not_found")
    assert_error(await shop_client.get(f"/api/catalog/products/{OFF_SHELF}/reviews"), 404, "not_found")
    listed = (await shop_client.get("/api/catalog/products", params={"page_size": 50})).json()
    assert OFF_SHELF not in ids(listed)
    assert (await shop_client.get("/api/catalog/search", params={"q": "一加"})).json()["items"] == []
    home = (await shop_client.get("/api/catalog/home")).json()
    assert OFF_SHELF not in [p["id"] for c in home["categories"] for p in c["products"]]


@read_only
@pytest.mark.parametrize("product_id", ["999", "0", "9223372036854775808", "99999999999999999999999"])
async def test_unknown_products_are_not_found(shop_client: ShopClient, product_id: str) -> None:
    assert_error(await shop_client.get(f"/api/catalog/products/{product_id}"), 404, "not_found")
    assert_error(await shop_client.get(f"/api/catalog/products/{product_id}/reviews"), 404, "not_found")


@read_only
async def test_a_product_id_that_is_not_a_number(shop_client: ShopClient) -> None:
    response = await shop_client.get("/api/catalog/products/abc")
    assert response.status_code in {400, 404}
    assert set(response.json()) >= {"code", "detail"}


# --- HTTP conventions ------------------------------------------------------------------------


@read_only
async def test_405_keeps_its_allow_header(shop_client: ShopClient) -> None:
    response = await shop_client.post("/api/catalog/home", json={})
    body = assert_error(response, 405, "method_not_allowed")
    assert body["detail"]
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET"}
    response = await shop_client.delete("/api/catalog/products/1")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


@read_only
@pytest.mark.parametrize("path", ["/api/catalog/nothing", "/api/nothing", "/no/such/page.json"])
async def test_an_unknown_route_answers_the_json_error_body(shop_client: ShopClient, path: str) -> None:
    assert_error(await shop_client.get(path), 404, "not_found")


# --- the OpenAPI document --------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def openapi(shop_client: ShopClient) -> dict[str, Any]:
    response = await shop_client.get("/schema/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


@read_only
async def test_openapi_documents_amounts_as_strings(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    price = schemas["ProductCard"]["properties"]["price"]
    assert price["type"] == "string"
    assert "8888.00" in price["examples"]
    assert schemas["SkuOut"]["properties"]["price"]["type"] == "string"
    assert schemas["ReviewSummary"]["properties"]["average_score"]["type"] == "string"


@read_only
@pytest.mark.parametrize(
    ("path", "statuses"),
    [
        ("/api/catalog/products", {"400", "404"}),
        ("/api/catalog/search", {"400"}),
        ("/api/catalog/search/suggest", {"400"}),
        ("/api/catalog/products/{product_id}", {"400", "404"}),
        ("/api/catalog/products/{product_id}/reviews", {"400", "404"}),
    ],
)
async def test_openapi_documents_the_error_body(
    openapi: dict[str, Any], path: str, statuses: set[str]
) -> None:
    responses = openapi["paths"][path]["get"]["responses"]
    assert statuses <= set(responses)
    for status in statuses:
        schema = resolve(openapi, responses[status]["content"]["application/json"]["schema"])
        assert set(schema["required"]) >= {"code", "detail"}, (path, status, schema)
        assert schema["properties"]["code"]["type"] == "string"
        assert "status_code" not in schema["properties"]  # not Litestar's default error shape


@read_only
async def test_openapi_lists_the_catalogue(openapi: dict[str, Any]) -> None:
    paths = set(openapi["paths"])
    assert {
        "/api/catalog/home",
        "/api/catalog/categories",
        "/api/catalog/banners",
        "/api/catalog/products",
        "/api/catalog/search",
        "/api/catalog/search/suggest",
        "/api/catalog/products/{product_id}",
        "/api/catalog/products/{product_id}/reviews",
    } <= paths
    sort = next(
        p for p in openapi["paths"]["/api/catalog/products"]["get"]["parameters"] if p["name"] == "sort"
    )
    assert set(resolve(openapi, sort["schema"]["allOf"][0])["enum"]) == set(ORDERS)
