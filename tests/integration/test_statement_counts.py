"""The shopper's endpoints cost a fixed number of SQL statements, whatever the catalogue's size.

Two SQLite catalogues, of 10 and of 1,000 products (bulk-inserted once per module with Core
inserts, cards precomputed as the repository would), are read through HTTP while a
`before_cursor_execute` listener counts the statements; both sizes must cost the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert
from tests.conftest import ShopClient, open_client, settings_for

from jiadian.adapters.sql import tables as t
from jiadian.adapters.sql.engine import make_engine, to_db
from jiadian.adapters.sql.migrate import upgrade
from jiadian.application.catalog import CACHED_KEYS
from jiadian.container import Container, build_container

SIZES = (10, 1000)
SLUGS = ["intelligence", "electricity", "computer", "headset"]
SKUS_PER_PRODUCT = 2
REPORT: dict[str, dict[int, tuple[int, int]]] = {}


def database_url(var: Path) -> str:
    return f"sqlite+aiosqlite:///{var / 'shop.sqlite3'}"


async def seed(var: Path, count: int) -> None:
    """`count` products (ids 1..count) in 4 categories, 2 skus and 1 image each, 5 banners."""
    engine = make_engine(database_url(var))
    await upgrade(engine)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    at = [to_db(start + timedelta(seconds=n)) for n in range(count + 1)]
    categories = [
        {"id": n + 1, "name": f"分类{n}", "slug": slug, "image": "", "created_at": at[0], "updated_at": at[0]}
        for n, slug in enumerate(SLUGS)
    ]
    spus: list[dict[str, Any]] = []
    products: list[dict[str, Any]] = []
    skus: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    for p in range(1, count + 1):
        category_id = (p - 1) % len(SLUGS) + 1
        spus.append(
            {
                "id": p,
                "name": f"系列{p}",
                "detail": "",
                "category_id": category_id,
                "created_at": at[p],
                "updated_at": at[p],
            }
        )
        variants: list[dict[str, Any]] = []
        prices: list[Decimal] = []
        sales: list[int] = []
        for v in range(SKUS_PER_PRODUCT):
            sku_id = (p - 1) * SKUS_PER_PRODUCT + v + 1
            price = Decimal(1000 + (p * 37) % 900 + v * 100).quantize(Decimal("0.01"))
            prices.append(price)
            sales.append((p * 13 + v) % 500)
            variants.append(
                {
                    "id": sku_id,
                    "product_id": p,
                    "price": price,
                    "stock": 10,
                    "sales": sales[-1],
                    "color": f"颜色{v}",
                    "size": "标准",
                    "version": 0,
                    "created_at": at[p],
                    "updated_at": at[p],
                }
            )
            images.append({"id": sku_id, "sku_id": sku_id, "image": f"img/{sku_id}.png", "created_at": at[p]})
        skus += variants
        products.append(
            {
                "id": p,
                "name": f"Product {p} 商品",
                "spu_id": p,
                "category_id": category_id,
                "on_shelf": p % 10 != 0,  # every tenth product off shelf
                "first_sku_id": variants[0]["id"],
                "image": f"img/{variants[0]['id']}.png",
                "price": min(prices),
                "sales": sum(sales),
                "created_at": at[p],
                "updated_at": at[p],
            }
        )
    banners = [
        {
            "id": n,
            "name": f"轮播图{n}",
            "image": f"b/{n}.jpg",
            "active": True,
            "position": n,
            "created_at": at[0],
        }
        for n in range(1, 6)
    ]
    async with engine.begin() as conn:
        for table, rows in [
            (t.categories, categories),
            (t.spus, spus),
            (t.products, products),
            (t.skus, skus),
            (t.sku_images, images),
            (t.banners, banners),
        ]:
            await conn.execute(insert(table), rows)
    await engine.dispose()
    container = build_container(settings_for(var))  # rows written by hand: index them as the CLI would
    try:
        assert await container.search_admin().reindex() == count
    finally:
        await container.engine().dispose()


@pytest.fixture(scope="module")
def catalogues(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """The var directories of the two catalogues, built once for the module (read-only afterwards)."""
    made = {}
    for size in SIZES:
        var = tmp_path_factory.mktemp(f"shop{size}")
        asyncio.run(seed(var, size))
        made[size] = var
    return made


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    if REPORT:
        lines = ["", "SQL statements per request (all / SELECT), catalogue of 10 vs 1,000 products:"]
        for endpoint, counts in REPORT.items():
            cells = "  ".join(
                f"{size:>5}: {all_}/{selects}" for size, (all_, selects) in sorted(counts.items())
            )
            lines.append(f"  {endpoint:<22} {cells}")
        print("\n".join(lines))


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        start = len(self.statements)
        seen: list[str] = []
        yield seen
        seen.extend(self.statements[start:])


@pytest.fixture
async def shops(
    catalogues: dict[int, Path],
) -> AsyncIterator[dict[int, tuple[Container, ShopClient, Counter]]]:
    opened: dict[int, tuple[Container, ShopClient, Counter]] = {}
    clients = []
    for size, var in catalogues.items():
        # Live values kept up to a minute: what is kept does not depend on how fast the test runs.
        container = build_container(settings_for(var, live_values_ms=60_000))
        counter = Counter()
        event.listen(container.engine().sync_engine, "before_cursor_execute", counter)
        client_iterator = open_client(container)
        client = await anext(client_iterator)
        clients.append(client_iterator)
        opened[size] = (container, client, counter)
    try:
        yield opened
    finally:
        for iterator in clients:
            await anext(iterator, None)  # runs open_client to its end: the app's shutdown


ENDPOINTS = {
    "home": "/api/catalog/home",
    "list (all, -sales, p3)": "/api/catalog/products?sort=-sales&page=3",
    "list (category, price)": "/api/catalog/products?category=computer&sort=price",
    "list (past the end)": "/api/catalog/products?sort=date&page=100000",
    "search": "/api/catalog/search?q=product&page=2",
    "search (two words)": "/api/catalog/search?q=product 商品&page=2",
    "search (a list order)": "/api/catalog/search?q=product&sort=price&page=2",
    "suggest": "/api/catalog/search/suggest?q=prod",
    "detail": "/api/catalog/products/1",
    "reviews": "/api/catalog/products/1/reviews",
}


async def measure(container: Container, client: ShopClient, counter: Counter, path: str) -> tuple[int, int]:
    await container.cache().delete(*CACHED_KEYS)  # the home is cached: measure the database's work
    with counter.counting() as statements:
        response = await client.get(path)
    assert response.status_code == 200, response.text
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    return len(statements), len(selects)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_statement_count_does_not_grow_with_the_catalogue(
    shops: dict[int, tuple[Container, ShopClient, Counter]], endpoint: str
) -> None:
    counts = {size: await measure(*shops[size], ENDPOINTS[endpoint]) for size in SIZES}
    REPORT[endpoint] = counts
    assert counts[10] == counts[1000], counts
    assert 1 <= counts[1000][1] <= 6, counts  # a handful of queries, not one per product


async def test_the_catalogues_really_differ(shops: dict[int, tuple[Container, ShopClient, Counter]]) -> None:
    small = (await shops[10][1].get("/api/catalog/products")).json()
    large = (await shops[1000][1].get("/api/catalog/products")).json()
    assert (small["total"], large["total"]) == (9, 900)  # every tenth product is off shelf
    found = (await shops[1000][1].get("/api/catalog/search", params={"q": "Product 商品"})).json()
    assert (found["total"], len(found["items"])) == (900, 8)
    assert len(large["items"]) == 8


async def test_the_counter_counts(shops: dict[int, tuple[Container, ShopClient, Counter]]) -> None:
    """The home is cached: a second request without clearing the cache costs no statement at all."""
    container, client, counter = shops[1000]
    await container.cache().delete(*CACHED_KEYS)
    with counter.counting() as first:
        await client.get("/api/catalog/home")
    with counter.counting() as second:
        await client.get("/api/catalog/home")
    assert len(first) > 0
    assert second == []


async def test_a_kept_product_page_costs_no_statement(
    shops: dict[int, tuple[Container, ShopClient, Counter]],
) -> None:
    """The first view renders the page (2 SELECTs) and keeps it and its live values for everyone; from
    then on no statement."""
    for size in SIZES:
        _container, client, counter = shops[size]
        seen = []
        for _view in range(3):
            with counter.counting() as statements:
                assert (await client.get("/api/catalog/products/2")).status_code == 200
            seen.append(len([s for s in statements if s.lstrip().upper().startswith("SELECT")]))
        assert seen == [2, 0, 0], (size, seen)
