"""Search through HTTP (anonymous) on SQLite with the demo catalogue: results, orders, suggestions, bad
input, and the answer cache moving on with the catalogue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from tests.api.test_catalog import assert_error, ids, resolve
from tests.conftest import ShopClient, open_client, settings_for
from tests.search_support import given_demo, products_of_line

from jiadian.adapters.sql.migrate import upgrade
from jiadian.container import Container, build_container

SEARCH, SUGGEST = "/api/catalog/search", "/api/catalog/search/suggest"
read_only = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ShopClient]:
    container = build_container(settings_for(tmp_path_factory.mktemp("search")))
    await upgrade(container.engine())
    with pytest.MonkeyPatch.context() as patch:
        await given_demo(container, patch)
    async for client in open_client(container):
        yield client


@pytest.fixture
async def shop(
    sqlite: Container, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Container, ShopClient]]:
    await given_demo(sqlite, monkeypatch)
    async for client in open_client(sqlite):
        yield sqlite, client


@read_only
async def test_every_quick_link_of_the_home_page_finds_its_products(demo: ShopClient) -> None:
    home = (await demo.get("/api/catalog/home")).json()
    links = [nav for category in home["categories"] for nav in category["nav"]]
    assert len(links) == 16
    for link in links:
        page = (await demo.get(SEARCH, params={"q": link})).json()
        assert products_of_line(link) <= set(ids(page)), link


@read_only
async def test_search_answers_cards_best_match_first(demo: ShopClient) -> None:
    page = (await demo.get(SEARCH, params={"q": "华为手机"})).json()
    assert (ids(page), page["total"], page["pages"]) == ([23, 6], 2, 1)
    assert set(page["items"][0]) == {"id", "name", "sku_id", "price", "sales", "image_url", "category"}
    assert ids((await demo.get(SEARCH, params={"q": "huawei 手机"})).json()) == [23, 6]


@read_only
async def test_a_picked_sort_applies(demo: ShopClient) -> None:
    page = (await demo.get(SEARCH, params={"q": "手机", "sort": "price", "page_size": 3})).json()
    assert (ids(page), page["total"]) == ([4, 3, 6], 7)
    prices = [
        item["price"]
        for item in (await demo.get(SEARCH, params={"q": "手机", "sort": "-price"})).json()["items"]
    ]
    assert prices == sorted(prices, key=float, reverse=True)
    assert_error(await demo.get(SEARCH, params={"q": "手机", "sort": "name"}), 400, "validation_error")


@read_only
@pytest.mark.parametrize("text", ["%", "_", "' OR 1=1 --", "1; DROP TABLE products", "<script>"])
async def test_wildcards_and_sql_are_no_words(demo: ShopClient, text: str) -> None:
    page = (await demo.get(SEARCH, params={"q": text})).json()
    assert (page["items"], page["total"]) == ([], 0)
    assert (await demo.get(SUGGEST, params={"q": text})).json() == {"q": text, "items": []}


@read_only
@pytest.mark.parametrize("path", [SEARCH, SUGGEST])
async def test_an_empty_or_over_long_query_is_refused(demo: ShopClient, path: str) -> None:
    for params in ({}, {"q": ""}, {"q": "   "}, {"q": "x" * 101}):
        assert_error(await demo.get(path, params=params), 400, "validation_error")


@read_only
async def test_suggestions(demo: ShopClient) -> None:
    response = await demo.get(SUGGEST, params={"q": "Mac"})
    assert response.status_code == 200
    assert response.json() == {
        "q": "Mac",
        "items": [
            {"text": "MacBook笔记本电脑", "kind": "line", "product_id": None},
            {"text": "【标配】2023款MacBook Pro14英寸 笔记本电脑", "kind": "product", "product_id": 20},
        ],
    }
    sony = (await demo.get(SUGGEST, params={"q": "索尼"})).json()["items"]
    assert [(s["kind"], s["text"]) for s in sony][:1] == [("line", "SONY耳机")]


async def test_a_change_shows_at_once_through_the_answer_cache(shop: tuple[Container, ShopClient]) -> None:
    container, client = shop
    assert ids((await client.get(SEARCH, params={"q": "sony"})).json()) == [19]
    assert (await client.get(SUGGEST, params={"q": "son"})).json()["items"]
    await container.catalog_admin().unshelve(19)
    assert ids((await client.get(SEARCH, params={"q": "sony"})).json()) == []
    assert (await client.get(SUGGEST, params={"q": "son"})).json()["items"] == []
    await container.search_admin().add_alias("walkman", "sony")
    await container.catalog_admin().shelve(19)
    assert ids((await client.get(SEARCH, params={"q": "WALKMAN"})).json()) == [19]


@read_only
async def test_openapi_documents_search_and_suggestions(demo: ShopClient) -> None:
    document: dict[str, Any] = (await demo.get("/schema/openapi.json")).json()
    for path in (SEARCH, SUGGEST):
        operation = document["paths"][path]["get"]
        assert {"200", "400"} <= set(operation["responses"]), path
        assert operation["description"], path
        assert "q" in {p["name"] for p in operation["parameters"]}
    answer = document["paths"][SUGGEST]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    suggestion = resolve(document, resolve(document, answer)["properties"]["items"]["items"])
    assert set(suggestion["properties"]) == {"text", "kind", "product_id"}
    assert set(suggestion["properties"]["kind"]["enum"]) == {"line", "product"}
    sort = next(p for p in document["paths"][SEARCH]["get"]["parameters"] if p["name"] == "sort")
    assert sort["required"] is False
