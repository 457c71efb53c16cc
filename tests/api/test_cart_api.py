"""The cart and the browsing history through HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from litestar.stores.memory import MemoryStore
from tests.cart_support import given_product, given_sku
from tests.conftest import ShopClient, open_client, settings_for

from jiadian.adapters.memory.cart import MemoryBrowsingHistory
from jiadian.container import Container, build_container, use_memory
from jiadian.domain.cart import HISTORY_SIZE

PASSWORD = "secret-123"


async def sign_in(client: ShopClient, container: Container, username: str = "alice") -> int:
    user = await container.accounts().create_user(username, f"{username}@example.com", PASSWORD)
    await client.login(username, PASSWORD)
    return user.id


@pytest.fixture
async def shopper(client: ShopClient, sqlite: Container) -> tuple[ShopClient, Container]:
    await sign_in(client, sqlite)
    return client, sqlite


# --- anonymous --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/cart", None),
        ("POST", "/api/cart/items", {"sku_id": 1, "count": 1}),
        ("PUT", "/api/cart/items/1", {"count": 1}),
        ("DELETE", "/api/cart/items/1", None),
        ("POST", "/api/cart/merge", {"lines": [{"sku_id": 1, "count": 1}]}),
        ("GET", "/api/me/history", None),
    ],
)
async def test_anonymous_is_401(client: ShopClient, method: str, path: str, body: object) -> None:
    response = await client.request(method, path, json=body)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "not_authenticated"


# --- the cart ---------------------------------------------------------------------------------


async def test_add_then_view(shopper: tuple[ShopClient, Container]) -> None:
    client, container = shopper
    product = await given_product(
        container.catalog_admin(), ("8888.00", 5), ("199.90", 9), images=["p/a.png"]
    )
    first, second = product.skus

    response = await client.post("/api/cart/items", json={"sku_id": first.id, "count": 2})
    assert (response.status_code, response.json()) == (200, {"lines": 1})
    assert (await client.post("/api/cart/items", json={"sku_id": first.id, "count": 1})).json() == {
        "lines": 1
    }
    assert (await client.post("/api/cart/items", json={"sku_id": second.id, "count": 1})).json() == {
        "lines": 2
    }

    cart = (await client.get("/api/cart")).json()
    assert cart["lines"][0] == {
        "sku_id": first.id,
        "product_id": product.id,
        "name": product.name,
        "size": first.size,
        "color": first.color,
        "image_url": container.blobs().url("p/a.png"),
        "price": "8888.00",
        "stock": 5,
        "count": 3,
        "line_total": "26664.00",
        "available": True,
        "problem": None,
    }
    assert [line["sku_id"] for line in cart["lines"]] == [first.id, second.id]
    assert (cart["total_count"], cart["amount"]) == (4, "26863.90")


async def test_unknown_and_off_shelf_skus_are_404(shopper: tuple[ShopClient, Container]) -> None:
    client, container = shopper
    off_shelf = await given_sku(container.catalog_admin(), on_shelf=False)
    for sku in (987_654, off_shelf):
        response = await client.post("/api/cart/items", json={"sku_id": sku, "count": 1})
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "not_found"
    assert (await client.get("/api/cart")).json()["lines"] == []


async def test_over_stock_is_409(shopper: tuple[ShopClient, Container]) -> None:
    client, container = shopper
    sku = await given_sku(container.catalog_admin(), stock=3)
    assert (await client.post("/api/cart/items", json={"sku_id": sku, "count": 2})).status_code == 200
    response = await client.post("/api/cart/items", json={"sku_id": sku, "count": 2})
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["requested"], body["available"]) == ("insufficient_stock", 4, 3)
    assert body["detail"] == "库存不足"
    response = await client.put(f"/api/cart/items/{sku}", json={"count": 4})
    assert (response.status_code, response.json()["code"]) == (409, "insufficient_stock")
    assert (await client.get("/api/cart")).json()["lines"][0]["count"] == 2


@pytest.mark.parametrize("count", [0, -1])
async def test_a_count_below_one_is_400(shopper: tuple[ShopClient, Container], count: int) -> None:
    client, container = shopper
    sku = await given_sku(container.catalog_admin())
    response = await client.post("/api/cart/items", json={"sku_id": sku, "count": count})
    assert response.status_code == 400, response.text
    assert (await client.post("/api/cart/items", json={"sku_id": sku, "count": 1})).status_code == 200
    response = await client.put(f"/api/cart/items/{sku}", json={"count": count})
    assert response.status_code == 400, response.text
    assert (await client.get("/api/cart")).json()["lines"][0]["count"] == 1


async def test_a_malformed_body_is_400(shopper: tuple[ShopClient, Container]) -> None:
    client, _ = shopper
    for body in ({"sku_id": "x", "count": 1}, {"count": 1}, {"sku_id": 1, "count": "many"}):
        response = await client.post("/api/cart/items", json=body)
        assert (response.status_code, response.json()["code"]) == (400, "validation_error"), body


async def test_set_count_answers_the_line(shopper: tuple[ShopClient, Container]) -> None:
    client, container = shopper
    sku = await given_sku(container.catalog_admin(), price="12.50", stock=9)
    await client.post("/api/cart/items", json={"sku_id": sku, "count": 1})
    response = await client.put(f"/api/cart/items/{sku}", json={"count": 4})
    assert response.status_code == 200
    line = response.json()
    assert (line["sku_id"], line["count"], line["line_total"], line["available"]) == (sku, 4, "50.00", True)
    assert (await client.get("/api/cart")).json()["amount"] == "50.00"


async def test_set_count_of_a_line_not_in_the_cart_is_404(shopper: tuple[ShopClient, Container]) -> None:
    client, container = shopper
    sku = await given_sku(container.catalog_admin())
    response = await client.put(f"/api/cart/items/{sku}", json={"count": 1})
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert (await client.get("/api/cart")).json()["lines"] == []


async def test_remove_a_line_and_one_that_is_not_there(shopper: tuple[ShopClient, Container]) -> None:
    client, container = shopper
    kept, gone = await given_sku(container.catalog_admin()), await given_sku(container.catalog_admin())
    for sku in (kept, gone):
        await client.post("/api/cart/items", json={"sku_id": sku, "count": 1})
    assert (await client.delete(f"/api/cart/items/{gone}")).status_code == 204
    assert (await client.delete(f"/api/cart/items/{gone}")).status_code == 204
    assert (await client.delete("/api/cart/items/123456")).status_code == 204
    assert [line["sku_id"] for line in (await client.get("/api/cart")).json()["lines"]] == [kept]


async def test_an_off_shelf_line_is_shown_as_unavailable(shopper: tuple[ShopClient, Container]) -> None:
    client, container = shopper
    admin = container.catalog_admin()
    fine = await given_sku(admin, price="1.00")
    shelved = await given_product(admin, ("2.00", 5))
    for sku in (fine, shelved.skus[0].id):
        await client.post("/api/cart/items", json={"sku_id": sku, "count": 1})
    await admin.unshelve(shelved.id)

    cart = (await client.get("/api/cart")).json()
    line = next(line for line in cart["lines"] if line["sku_id"] == shelved.skus[0].id)
    assert (line["available"], line["problem"], line["name"], line["price"]) == (
        False,
        "off_shelf",
        shelved.name,
        "2.00",
    )
    assert (cart["total_count"], cart["amount"]) == (1, "1.00")


async def test_a_deleted_sku_is_reported_not_dropped(shopper: tuple[ShopClient, Container]) -> None:
    client, container = shopper
    user = await container.accounts().by_username("alice")
    await container.cart_store().add(user.id, 555_555, 3, limit=10)  # a sku since deleted
    cart = (await client.get("/api/cart")).json()
    assert cart["lines"] == [
        {
            "sku_id": 555_555,
            "product_id": None,
            "name": "",
            "size": "",
            "color": "",
            "image_url": "",
            "price": None,
            "stock": 0,
            "count": 3,
            "line_total": None,
            "available": False,
            "problem": "deleted",
        }
    ]
    assert (cart["total_count"], cart["amount"]) == (0, "0.00")


async def test_a_guest_cart_is_priced_without_signing_in_and_merged_at_sign_in(
    client: ShopClient, sqlite: Container
) -> None:
    admin = sqlite.catalog_admin()
    plenty, scarce = (await given_product(admin, ("199.90", 9), ("59.00", 2))).skus
    guest = [
        {"sku_id": plenty.id, "count": 2},
        {"sku_id": scarce.id, "count": 3},
        {"sku_id": 999_999, "count": 1},
    ]

    quoted = await client.post("/api/cart/guest", json={"lines": guest})
    assert quoted.status_code == 200, quoted.text
    assert quoted.headers["cache-control"] == "no-store"
    lines = {line["sku_id"]: line for line in quoted.json()["lines"]}
    assert (lines[plenty.id]["line_total"], lines[plenty.id]["available"]) == ("399.80", True)
    assert (lines[scarce.id]["problem"], lines[999_999]["problem"]) == ("over_stock", "deleted")
    assert (quoted.json()["total_count"], quoted.json()["amount"]) == (2, "399.80")

    await sign_in(client, sqlite)
    await client.post("/api/cart/items", json={"sku_id": plenty.id, "count": 8})
    merged = await client.post("/api/cart/merge", json={"lines": guest})
    assert merged.status_code == 200, merged.text
    assert merged.headers["cache-control"] == "no-store"
    assert merged.json()["lines"] == [
        {"sku_id": plenty.id, "requested": 2, "added": 1, "problem": "over_stock"},  # 8 + 1 = the stock
        {"sku_id": scarce.id, "requested": 3, "added": 2, "problem": "over_stock"},
        {"sku_id": 999_999, "requested": 1, "added": 0, "problem": "deleted"},
    ]
    cart = (await client.get("/api/cart")).json()
    assert merged.json()["cart"] == cart
    assert {line["sku_id"]: line["count"] for line in cart["lines"]} == {plenty.id: 9, scarce.id: 2}


@pytest.mark.parametrize(
    "body",
    [
        {"lines": [{"sku_id": 1, "count": 0}]},
        {"lines": [{"sku_id": 1, "count": "two"}]},
        {"lines": [{"sku_id": n, "count": 1} for n in range(1, 102)]},
        {"lines": "all"},
    ],
)
async def test_a_bad_guest_cart_is_400(client: ShopClient, sqlite: Container, body: object) -> None:
    for path in ("/api/cart/guest", "/api/cart/merge"):
        if path.endswith("merge"):
            await sign_in(client, sqlite)
        response = await client.post(path, json=body)
        assert response.status_code == 400, response.text


async def test_each_user_sees_only_their_own_cart(shopper: tuple[ShopClient, Container]) -> None:
    client, container = shopper
    sku = await given_sku(container.catalog_admin())
    await client.post("/api/cart/items", json={"sku_id": sku, "count": 1})
    await sign_in(client, container, "bob")
    assert (await client.get("/api/cart")).json()["lines"] == []
    response = await client.put(f"/api/cart/items/{sku}", json={"count": 2})
    assert response.status_code == 404
    await client.login("alice", PASSWORD)
    assert (await client.get("/api/cart")).json()["lines"][0]["count"] == 1


# --- browsing history -------------------------------------------------------------------------


async def test_history_is_recent_first_without_duplicates_and_capped(
    shopper: tuple[ShopClient, Container],
) -> None:
    client, container = shopper
    admin = container.catalog_admin()
    a, b, c = [(await given_product(admin)).id for _ in range(3)]
    for product_id in (a, b, c, a):
        assert (await client.get(f"/api/catalog/products/{product_id}")).status_code == 200
    history = (await client.get("/api/me/history")).json()
    assert [card["id"] for card in history] == [a, c, b]
    assert set(history[0]) == {"id", "name", "sku_id", "price", "max_price", "sales", "image_url", "category"}

    more = [(await given_product(admin)).id for _ in range(HISTORY_SIZE)]
    for product_id in more:
        await client.get(f"/api/catalog/products/{product_id}")
    assert [card["id"] for card in (await client.get("/api/me/history")).json()] == more[::-1]


async def test_history_leaves_out_unknown_and_off_shelf_products(
    shopper: tuple[ShopClient, Container],
) -> None:
    client, container = shopper
    admin = container.catalog_admin()
    kept, shelved = (await given_product(admin)).id, (await given_product(admin)).id
    for product_id in (kept, shelved, 424_242):
        await client.get(f"/api/catalog/products/{product_id}")
    await admin.unshelve(shelved)
    assert [card["id"] for card in (await client.get("/api/me/history")).json()] == [kept]


class CountingStore(MemoryStore):
    """A session store that counts every call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        self.calls += 1
        return await super().get(key, renew_for)

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        self.calls += 1
        await super().set(key, value, expires_in)

    async def exists(self, key: str) -> bool:
        self.calls += 1
        return await super().exists(key)


class CountingHistory(MemoryBrowsingHistory):
    def __init__(self) -> None:
        super().__init__()
        self.records = 0

    async def record(self, user_id: int, product_id: int, *, keep: int) -> None:
        self.records += 1
        await super().record(user_id, product_id, keep=keep)


async def test_anonymous_product_views_touch_neither_sessions_nor_history(tmp_path: Path) -> None:
    from dependency_injector import providers

    container = build_container(settings_for(tmp_path))
    use_memory(container)
    store, history = CountingStore(), CountingHistory()
    container.session_store.override(providers.Object(store))
    container.browsing_history.override(providers.Object(history))
    product = await given_product(container.catalog_admin())

    async for client in open_client(container):
        for _ in range(3):
            assert (await client.get(f"/api/catalog/products/{product.id}")).status_code == 200
        assert (store.calls, history.records) == (0, 0)
        assert "jiadian_session" not in client.cookies

        await sign_in(client, container)
        await client.get(f"/api/catalog/products/{product.id}")
        assert history.records == 1
        assert store.calls > 0


# --- Redis ------------------------------------------------------------------------------------


async def _on_redis(tmp_path: Path, redis_url: str) -> AsyncIterator[tuple[ShopClient, Container]]:
    container = build_container(settings_for(tmp_path, redis_url=redis_url))
    from jiadian.adapters.sql.migrate import upgrade

    await upgrade(container.engine())
    async for client in open_client(container):
        yield client, container


@pytest.mark.redis
async def test_the_cart_and_history_on_redis(tmp_path: Path, redis_url: str) -> None:
    async for client, container in _on_redis(tmp_path, redis_url):
        await sign_in(client, container)
        product = await given_product(container.catalog_admin(), ("5.00", 3), ("6.00", 3))
        first, second = product.skus
        assert (await client.post("/api/cart/items", json={"sku_id": first.id, "count": 2})).json() == {
            "lines": 1
        }
        assert (await client.post("/api/cart/items", json={"sku_id": second.id, "count": 1})).json() == {
            "lines": 2
        }
        response = await client.post("/api/cart/items", json={"sku_id": first.id, "count": 2})
        assert (response.status_code, response.json()["code"]) == (409, "insufficient_stock")
        assert (await client.put(f"/api/cart/items/{second.id}", json={"count": 3})).json()["count"] == 3
        assert (await client.delete(f"/api/cart/items/{first.id}")).status_code == 204
        cart = (await client.get("/api/cart")).json()
        assert [(line["sku_id"], line["count"]) for line in cart["lines"]] == [(second.id, 3)]
        assert cart["amount"] == "18.00"

        await client.get(f"/api/catalog/products/{product.id}")
        assert [card["id"] for card in (await client.get("/api/me/history")).json()] == [product.id]


async def test_redis_down_is_a_clear_503(tmp_path: Path) -> None:
    from dependency_injector import providers

    from jiadian.adapters.memory.cache import MemoryCache

    container = build_container(settings_for(tmp_path, redis_url="redis://127.0.0.1:1/0"))
    use_memory(container)
    # Sessions and cache stay in memory so the request gets as far as the cart; the cart is on Redis.
    container.cart_store.reset_override()
    container.browsing_history.reset_override()
    container.cache.override(providers.Object(MemoryCache()))
    async for client in open_client(container):
        await sign_in(client, container)
        sku = await given_sku(container.catalog_admin())
        for method, path, body in [
            ("GET", "/api/cart", None),
            ("POST", "/api/cart/items", {"sku_id": sku, "count": 1}),
            ("GET", "/api/me/history", None),
        ]:
            response = await client.request(method, path, json=body)
            assert response.status_code == 503, response.text
            assert response.json()["code"] == "service_unavailable"
            assert "Traceback" not in response.text
        # The product page still answers: recording the history is best effort.
        product_id = (await container.catalog_queries().sku_views([sku]))[sku].sku.product_id
        assert (await client.get(f"/api/catalog/products/{product_id}")).status_code == 200
