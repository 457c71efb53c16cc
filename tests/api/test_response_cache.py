"""The rendered-answer cache of the catalogue: reused within its TTL, dropped by any operator write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from tests.catalog_support import given_shop
from tests.conftest import ShopClient, open_client, settings_for

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql.migrate import upgrade
from jiadian.adapters.sql.tables import products, skus
from jiadian.container import Container, build_container


async def _client(tmp_path: Path, clock: FixedClock, ttl: int) -> AsyncIterator[tuple[Container, ShopClient]]:
    container = build_container(settings_for(tmp_path, response_cache_seconds=ttl))
    container.clock.override(clock)
    await upgrade(container.engine())
    await given_shop(container.catalog_admin(), clock)
    async for client in open_client(container):
        yield container, client


@pytest.fixture
async def cached(tmp_path: Path, clock: FixedClock) -> AsyncIterator[tuple[Container, ShopClient]]:
    async for pair in _client(tmp_path, clock, ttl=300):
        yield pair


@pytest.fixture
async def uncached(tmp_path: Path, clock: FixedClock) -> AsyncIterator[tuple[Container, ShopClient]]:
    async for pair in _client(tmp_path, clock, ttl=0):
        yield pair


async def _set_sales_behind_the_shops_back(container: Container, product_id: int, sales: int) -> None:
    """What an order does to the figures, without touching the catalogue's generation."""
    async with container.engine().begin() as conn:
        current = (
            await conn.execute(select(products.c.sales).where(products.c.id == product_id))
        ).scalar_one()
        first_sku = select(func.min(skus.c.id)).where(skus.c.product_id == product_id).scalar_subquery()
        await conn.execute(
            update(skus).where(skus.c.id == first_sku).values(sales=skus.c.sales + sales - current)
        )
        await conn.execute(update(products).where(products.c.id == product_id).values(sales=sales))


async def _sales(client: ShopClient, product_id: int) -> int:
    response = await client.get("/api/catalog/products", params={"category": "all", "page_size": 50})
    assert response.status_code == 200
    return next(c["sales"] for c in response.json()["items"] if c["id"] == product_id)


async def test_an_answer_is_reused_within_its_ttl(cached: tuple[Container, ShopClient]) -> None:
    container, client = cached
    before = await _sales(client, 1)
    await _set_sales_behind_the_shops_back(container, 1, before + 1000)
    assert await _sales(client, 1) == before  # the rendered page was reused


async def test_an_operator_write_shows_at_once(cached: tuple[Container, ShopClient]) -> None:
    container, client = cached
    before = await _sales(client, 1)
    await _set_sales_behind_the_shops_back(container, 1, before + 1000)
    await container.catalog_admin().set_price(1, "1.00")  # any write moves the catalogue's generation
    response = await client.get("/api/catalog/products", params={"category": "all", "page_size": 50})
    card = next(c for c in response.json()["items"] if c["id"] == 1)
    assert card["price"] == "1.00"
    assert card["sales"] == before + 1000


async def test_a_ttl_of_zero_turns_it_off(uncached: tuple[Container, ShopClient]) -> None:
    container, client = uncached
    before = await _sales(client, 1)
    await _set_sales_behind_the_shops_back(container, 1, before + 1000)
    assert await _sales(client, 1) == before + 1000


async def test_the_cached_answer_is_the_rendered_one(cached: tuple[Container, ShopClient]) -> None:
    _container, client = cached
    first = await client.get("/api/catalog/home")
    second = await client.get("/api/catalog/home")
    assert first.status_code == second.status_code == 200
    assert first.headers["content-type"].startswith("application/json")
    assert first.json() == second.json()
    assert first.json()["categories"]
