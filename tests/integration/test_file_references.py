"""`FileReferences` on SQL (SQLite and MariaDB): every column that names a file, found and rewritten."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.catalog_support import product, sku
from tests.files_support import breakable_commits, png

from jiadian.adapters.memory.blobs import MemoryBlobStore
from jiadian.adapters.sql.files import SqlFileReferences
from jiadian.adapters.sql.tables import banners, categories, order_lines, orders, products, sku_images, users
from jiadian.container import Container

NOW = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def shop(request: pytest.FixtureRequest) -> Container:
    """A migrated database (SQLite, MariaDB) with files kept in memory."""
    container: Container = request.getfixturevalue(request.param)
    container.blobs.override(MemoryBlobStore())
    return container


async def given_rows(container: Container) -> dict[str, str]:
    """One reference of each kind; the card image is its sku's first image. Returns kind -> file id."""
    admin = container.catalog_admin()
    await admin.add_category("智能设备", "intelligence", "c/intelligence.png")
    created = await admin.upsert_product(
        product("intelligence", "iPhone 14", "iPhone 14 Pro", sku("8888.00"))
    )
    image = await admin.add_sku_image(created.skus[0].id, png(), "png")
    banner = await admin.add_banner("双十一", "b/1.png", active=True, position=0)
    engine: AsyncEngine = container.engine()
    async with engine.begin() as conn:
        user_id = (
            await conn.execute(
                insert(users).values(
                    username="alice",
                    email="a@example.com",
                    password_hash="x",
                    avatar="u/alice.png",
                    created_at=NOW,
                )
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        await conn.execute(
            insert(users).values(username="bob", email="b@example.com", password_hash="x", created_at=NOW)
        )
        await conn.execute(
            insert(orders).values(
                id="o1",
                trade_no="t1",
                user_id=user_id,
                status="1",
                total_count=1,
                amount=8888,
                freight=10,
                total=8898,
                recipient="张三",
                phone="13800000000",
                province="广东",
                city="深圳",
                county="南山",
                detail="科技园",
                created_at=NOW,
            )
        )
        await conn.execute(
            insert(order_lines).values(
                order_id="o1",
                sku_id=created.skus[0].id,
                product_id=created.id,
                name="iPhone 14 Pro",
                size="",
                color="",
                image=image.image,
                count=1,
                unit_price=8888,
                line_total=8888,
            )
        )
    return {
        "category": "c/intelligence.png",
        "sku": image.image,
        "banner": banner.image,
        "avatar": "u/alice.png",
    }


async def test_file_ids_are_every_distinct_non_empty_reference(shop: Container) -> None:
    files = await given_rows(shop)

    assert await SqlFileReferences(shop.engine()).file_ids() == sorted(files.values())


async def test_count_adds_up_every_place(shop: Container) -> None:
    files = await given_rows(shop)
    references = SqlFileReferences(shop.engine())

    # the sku image is named by its row, by the product's card, and by the order line's snapshot
    assert await references.count(files["sku"]) == 3
    assert await references.count(files["avatar"]) == 1
    assert await references.count("nothing/here.png") == 0
    assert await references.count("") == 0


async def test_rewrite_changes_every_reference_at_once(shop: Container) -> None:
    files = await given_rows(shop)
    references = SqlFileReferences(shop.engine())

    changed = await references.rewrite(files["sku"], "group1/M00/00/00/new.png")

    assert changed == 3
    async with shop.engine().connect() as conn:
        assert (await conn.execute(select(sku_images.c.image))).scalars().all() == [
            "group1/M00/00/00/new.png"
        ]
        assert (await conn.execute(select(products.c.image))).scalars().all() == ["group1/M00/00/00/new.png"]
        assert (await conn.execute(select(order_lines.c.image))).scalars().all() == [
            "group1/M00/00/00/new.png"
        ]
        assert (await conn.execute(select(categories.c.image))).scalars().all() == ["c/intelligence.png"]
        assert (await conn.execute(select(banners.c.image))).scalars().all() == ["b/1.png"]
    assert await references.rewrite(files["sku"], "group1/M00/00/00/other.png") == 0
    assert await references.rewrite("", "x") == 0


async def test_a_replaced_image_that_an_order_line_still_shows_is_kept(shop: Container) -> None:
    files = await given_rows(shop)
    blobs = shop.blobs()
    stored = await blobs.save(png(), "png")
    await SqlFileReferences(shop.engine()).rewrite(files["sku"], stored)
    admin = shop.catalog_admin()
    (image,) = await admin.sku_images(1)

    await admin.replace_sku_image(1, image.id, png("blue"), "png")

    assert await blobs.open(stored) == png()  # the order line still shows it


async def test_an_image_row_that_does_not_commit_on_sql_leaves_no_file(shop: Container) -> None:
    await given_rows(shop)
    blobs = shop.blobs()
    before = dict(blobs.files)
    breaker = breakable_commits(shop)
    breaker.broken = True
    admin = shop.catalog_admin()

    with pytest.raises(ConnectionError):
        await admin.add_sku_image(1, png("blue"), "png")
    with pytest.raises(ConnectionError):
        await admin.upload_banner("新", png("blue"), "png")

    assert blobs.files == before
    breaker.broken = False
    assert len(await admin.sku_images(1)) == 1
    assert len(await admin.banners()) == 1
