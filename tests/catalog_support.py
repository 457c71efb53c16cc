"""A small, fully known catalogue for the catalogue's tests, built through the operator's use cases.

The same catalogue is built on every backend (memory, SQLite, MariaDB), so the expectations below
hold for all of them: ids are assigned 1, 2, 3… in creation order, and the test clock moves one
minute between products, so "newest" and "by date" are orders and not ties.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql import tables as t
from jiadian.adapters.sql.engine import to_db
from jiadian.application.catalog import SkuView
from jiadian.application.catalog_admin import CatalogAdmin, ProductSpec, SkuSpec
from jiadian.domain.catalog import Sku

CATEGORIES = [
    ("智能设备", "intelligence"),
    ("家用电器", "electricity"),
    ("电脑产品", "computer"),
    ("高端耳机", "headset"),
]


class HasId(Protocol):
    @property
    def id(self) -> int: ...


def ids(items: Sequence[HasId]) -> list[int]:
    """The ids of cards (or anything with an id), in order."""
    return [item.id for item in items]


def sku(
    price: str,
    stock: int = 10,
    *,
    sales: int = 0,
    color: str = "",
    size: str = "",
    images: list[str] | None = None,
) -> SkuSpec:
    return SkuSpec(price, stock, color, size, list(images or []), sales)


def product(
    category: str, spu: str, name: str, *skus: SkuSpec, on_shelf: bool = True, detail: str = ""
) -> ProductSpec:
    return ProductSpec(category, spu, name, list(skus), detail or f"{spu} 详情", on_shelf)


# The products of the standard catalogue, in creation order (ids 1..8).
PRODUCTS = [
    product(
        "intelligence",
        "iPhone 14",
        "iPhone 14 Pro",
        sku("8888.00", 5, sales=100, color="白色", size="8G+256G", images=["p1/a.png", "p1/b.png"]),
        sku("9999.00", 3, sales=50, color="黑色", size="8G+512G", images=["p1/c.png"]),
        sku("8888.00", 2, color="黑色", size="8G+256G"),
    ),
    product(
        "intelligence",
        "iPhone 14",
        "iPhone 14 Pro Max",
        sku("9999.00", 5, sales=30, color="黑色", size="12G+256G", images=["p2/a.png"]),
    ),
    product("intelligence", "OPPO Reno 9", "OPPO Reno9 Pro", sku("2999.00", 7, sales=400)),
    product("intelligence", "华为 nova 11", "华为 nova 11 Pro", sku("2999.00", 1, sales=10)),
    product("intelligence", "Redmi Note 12", "Redmi Note 12 Turbo", sku("1999.00", 8, sales=900)),
    product("intelligence", "一加 Ace 2", "一加 Ace 2 旧款", sku("1599.00", 5, sales=5000), on_shelf=False),
    product("electricity", "电风扇", "美的 电风扇 50% 省电", sku("199.00", 50, sales=20)),
    product("computer", "MacBook", "MacBook Pro 14", sku("14999.00", 3, sales=5, images=["p8/a.png"])),
]
OFF_SHELF = 6
ON_SHELF = [1, 2, 3, 4, 5, 7, 8]

# (name, image, active) — five banners, one inactive: the home shows the first four active ones.
BANNERS = [
    ("轮播图1", "b/1.jpg", True),
    ("轮播图2", "b/2.jpg", False),
    ("轮播图3", "b/3.jpg", True),
    ("轮播图4", "b/4.jpg", True),
    ("轮播图5", "b/5.jpg", True),
    ("轮播图6", "b/6.jpg", True),
]

# The expected orders of every on-shelf product for the six sort keys (ties broken by id, in the
# direction of the sort: 3 and 4 both cost 2999.00).
ORDERS = {
    "price": [7, 5, 3, 4, 1, 2, 8],
    "-price": [8, 2, 1, 4, 3, 5, 7],
    "sales": [8, 4, 7, 2, 1, 3, 5],
    "-sales": [5, 3, 1, 2, 7, 4, 8],
    "date": [1, 2, 3, 4, 5, 7, 8],
    "-date": [8, 7, 5, 4, 3, 2, 1],
}


@dataclass(frozen=True)
class Shop:
    """Ids of what `given_shop` built."""

    category_ids: dict[str, int]
    banner_ids: list[int]


async def given_categories(admin: CatalogAdmin) -> dict[str, int]:
    ids = {}
    for name, slug in CATEGORIES:
        ids[slug] = (await admin.add_category(name, slug, f"c/{slug}.png")).id
    return ids


async def given_shop(admin: CatalogAdmin, clock: FixedClock) -> Shop:
    """The standard catalogue: 4 categories, 8 products (one off shelf), 6 banners (one inactive)."""
    category_ids = await given_categories(admin)
    for spec in PRODUCTS:
        clock.advance(minutes=1)
        await admin.upsert_product(spec)
    clock.advance(minutes=1)
    banner_ids = []
    for position, (name, image, active) in enumerate(BANNERS):
        banner_ids.append((await admin.add_banner(name, image, active=active, position=position)).id)
    return Shop(category_ids, banner_ids)


async def insert_reviews(
    engine: AsyncEngine,
    product_id: int,
    product_name: str,
    sku: SkuView | Sku,
    scores: list[int],
    start: datetime,
) -> list[datetime]:
    """Reviews of one sku by user "reviewer" on SQL, one minute apart from `start` (oldest first).

    Reviews are written by the ordering use cases; here they are inserted with the rows they need
    (a user, a completed order and its lines), contents "评论0", "评论1", …
    """
    moments = [start + timedelta(minutes=n) for n in range(len(scores))]
    async with engine.begin() as conn:
        now = to_db(start)
        user = insert(t.users).values(
            username="reviewer", email="r@example.com", password_hash="x", created_at=now
        )
        user_id = (await conn.execute(user)).inserted_primary_key[0]  # type: ignore[index]
        await conn.execute(
            insert(t.orders).values(
                id=f"o{product_id}",
                trade_no=f"t{product_id}",
                user_id=user_id,
                status="5",
                total_count=len(scores),
                amount=Decimal("1.00"),
                freight=Decimal("10.00"),
                total=Decimal("11.00"),
                created_at=now,
                recipient="张三",
                phone="13800000000",
                province="北京",
                city="北京",
                county="海淀",
                detail="中关村",
            )
        )
        for n, (score, at) in enumerate(zip(scores, moments, strict=True)):
            line = insert(t.order_lines).values(
                order_id=f"o{product_id}",
                sku_id=sku.id,
                product_id=product_id,
                name=product_name,
                size=sku.size,
                color=sku.color,
                count=1,
                unit_price=sku.price.amount,
                line_total=sku.price.amount,
                reviewed=True,
            )
            line_id = (await conn.execute(line)).inserted_primary_key[0]  # type: ignore[index]
            await conn.execute(
                insert(t.reviews).values(
                    order_line_id=line_id,
                    user_id=user_id,
                    product_id=product_id,
                    sku_id=sku.id,
                    score=score,
                    content=f"评论{n}",
                    created_at=to_db(at),
                )
            )
    return moments
