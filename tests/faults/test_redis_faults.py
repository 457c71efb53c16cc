"""Redis down (cache, cart, sessions): a private redis-server behind a proxy the test controls.

The catalogue keeps serving from the database (the cache degrades to a miss), the cart answers a
clear 503, sessions fail closed (never a signed-in request served as somebody, never an anonymous one
let in), /ready names the cache; when Redis returns, everything works again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from jiadian.adapters.clock import FixedClock
from jiadian.container import Container, build_container
from tests.conftest import ShopClient, open_client, settings_for
from tests.faults.conftest import Tally
from tests.faults.proxy import FaultProxy
from tests.faults.support import (
    PASSWORD,
    RedisServer,
    Seeded,
    assert_clean_503,
    cart_line_count,
    facts,
    seed,
    via,
)

pytestmark = pytest.mark.mysql

SESSION = "jiadian_session"


@dataclass
class World:
    truth: Container
    proxy: FaultProxy
    redis: RedisServer
    client: ShopClient
    seeded: Seeded

    @contextmanager
    def anonymous(self) -> Iterator[None]:
        """Requests without the session cookie (the CSRF cookie stays)."""
        saved = httpx.Cookies(self.client.cookies)
        self.client.cookies.delete(SESSION)
        try:
            yield
        finally:
            self.client.cookies = saved

    async def catalogue_serves(self) -> None:
        """Every public catalogue page answers 200 with the seeded product in it."""
        seeded = self.seeded
        for path, params in [
            ("/api/catalog/home", {}),
            ("/api/catalog/categories", {}),
            ("/api/catalog/banners", {}),
            ("/api/catalog/products", {"category": "all"}),
            ("/api/catalog/search", {"q": "故障"}),
            (f"/api/catalog/products/{seeded.product_id}", {}),
        ]:
            response = await self.client.get(path, params=params)
            assert response.status_code == 200, (path, response.text)
        listing = await self.client.get("/api/catalog/products", params={"category": "all"})
        assert [card["id"] for card in listing.json()["items"]] == [seeded.product_id]
        home = await self.client.get("/api/catalog/home")
        assert seeded.product_id in [p["id"] for c in home.json()["categories"] for p in c["products"]]


@pytest.fixture
async def world(
    mysql: Container,
    mysql_database: str,
    tmp_path: Path,
    clock: FixedClock,
    private_redis: RedisServer,
    proxies: list[FaultProxy],
) -> AsyncIterator[World]:
    proxy = FaultProxy(private_redis.port).start()
    proxies.append(proxy)
    app = build_container(
        settings_for(
            tmp_path,
            database_url=mysql_database,
            database_pool_size=2,
            redis_url=via(private_redis.url, proxy.port),
        )
    )
    app.clock.override(clock)
    seeded = await seed(mysql)
    async for client in open_client(app):
        await client.login("buyer", PASSWORD)
        response = await client.post("/api/cart/items", json={"sku_id": seeded.sku_id, "count": 2})
        assert response.status_code == 200, response.text
        yield World(mysql, proxy, private_redis, client, seeded)


async def assert_redis_down(world: World, caplog: pytest.LogCaptureFixture) -> None:
    before = await facts(world.truth.engine(), world.seeded)

    # The catalogue serves from the database, for anonymous and signed-in shoppers alike.
    with world.anonymous():
        await world.catalogue_serves()
    await world.catalogue_serves()
    assert "cache" in caplog.text  # the miss is logged, not silent

    # The cart answers a clear 503 (it lives in Redis).
    assert_clean_503(await world.client.get("/api/cart"))
    assert_clean_503(
        await world.client.post("/api/cart/items", json={"sku_id": world.seeded.sku_id, "count": 1})
    )
    order = await world.client.post(
        "/api/orders", json={"sku_ids": [world.seeded.sku_id], "address_id": world.seeded.address_id}
    )
    assert_clean_503(order)

    # Sessions fail closed: the signed-in shopper is not served as anybody, nobody gets in.
    for path in ("/api/me", "/api/orders", "/api/me/wallet"):
        response = await world.client.get(path)
        assert response.status_code in (401, 503), (path, response.text)
        assert "buyer" not in response.text
    with world.anonymous():
        assert (await world.client.get("/api/me")).status_code == 401
        login = await world.client.post("/api/auth/login", json={"username": "buyer", "password": PASSWORD})
        assert_clean_503(login)
        assert SESSION not in login.cookies

    ready = await world.client.get("/ready")
    assert ready.status_code == 503, ready.text
    checks = ready.json()["checks"]
    assert checks["cache"].startswith("failed"), checks
    assert checks["database"] == "ok", checks

    assert await facts(world.truth.engine(), world.seeded) == before  # nothing written meanwhile


async def test_redis_stopped_then_back(world: World, tally: Tally, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    await world.catalogue_serves()  # the cache now holds home, categories and banners
    world.proxy.refuse()
    tally.fault("Redis stopped (proxy refuses connections)")

    await assert_redis_down(world, caplog)
    tally.verified(
        "catalogue served from the database; cart 503; sessions fail closed; /ready names the cache"
    )

    world.proxy.accept()
    assert (await world.client.get("/ready")).status_code == 200
    assert await cart_line_count(world.client, world.seeded.sku_id) == 2  # the same session, the same cart
    await world.catalogue_serves()
    placed = await world.client.post(
        "/api/orders", json={"sku_ids": [world.seeded.sku_id], "address_id": world.seeded.address_id}
    )
    assert placed.status_code == 201, placed.text
    tally.verified("cart, session and checkout resume when Redis returns")


async def test_redis_restarted_empty_signs_everybody_out(
    world: World, tally: Tally, caplog: pytest.LogCaptureFixture
) -> None:
    """The server itself dies and comes back without its data: sessions are gone, so are carts — 401."""
    caplog.set_level(logging.WARNING)
    world.proxy.refuse()
    world.redis.stop()
    tally.fault("Redis process killed (data lost)")
    await assert_redis_down(world, caplog)

    world.redis.start()
    world.proxy.accept()
    assert (await world.client.get("/ready")).status_code == 200
    for path in ("/api/me", "/api/cart"):
        response = await world.client.get(path)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["code"] == "not_authenticated"
    await world.catalogue_serves()
    await world.client.login("buyer", PASSWORD)
    assert await cart_line_count(world.client, world.seeded.sku_id) == 0
    tally.verified("after Redis lost its data: old sessions answer 401, a new login works")


@pytest.mark.slow
async def test_redis_paused_costs_a_timeout_not_a_failure(
    world: World, tally: Tally, caplog: pytest.LogCaptureFixture
) -> None:
    """A partition (connections hang): the catalogue still answers after the client's timeouts."""
    caplog.set_level(logging.WARNING)
    world.proxy.pause()  # connections stay open; nothing comes back
    tally.fault("Redis partitioned (proxy holds all traffic)")
    with world.anonymous():
        response = await world.client.get("/api/catalog/categories")
        assert response.status_code == 200, response.text
        response = await world.client.get("/api/catalog/home")  # the cache rests: no second timeout
        assert response.status_code == 200, response.text
    assert_clean_503(await world.client.get("/api/cart"))
    tally.verified("catalogue served through a Redis partition; cart 503")
    world.proxy.resume()
