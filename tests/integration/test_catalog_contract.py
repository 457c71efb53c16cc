"""One contract for the catalogue's storage, run on memory, SQLite and MariaDB alike.

Every test builds the same catalogue through the operator's use cases and expects the very same
answers from `CatalogQueries` (through the shopper's use cases) and `CatalogRepository`, so the
in-memory adapter cannot drift from the SQL one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from tests.catalog_support import (
    OFF_SHELF,
    ON_SHELF,
    ORDERS,
    Shop,
    given_shop,
    ids,
    insert_reviews,
    product,
    sku,
)

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.catalog import REVIEWS, StoredReview
from jiadian.adapters.memory.state import MemoryState
from jiadian.application.catalog import Catalog
from jiadian.application.catalog_admin import CatalogAdmin
from jiadian.application.catalog_ports import CatalogQueries, ReviewRow
from jiadian.container import Container
from jiadian.domain.catalog import SortKey
from jiadian.domain.errors import NotFound
from jiadian.domain.money import Money


@dataclass
class Backend:
    name: str
    container: Container
    state: MemoryState | None  # the in-memory "database", None on SQL
    clock: FixedClock

    @property
    def catalog(self) -> Catalog:
        return self.container.catalog()

    @property
    def admin(self) -> CatalogAdmin:
        return self.container.catalog_admin()

    @property
    def queries(self) -> CatalogQueries:
        return self.container.catalog_queries()


@pytest.fixture(params=["memory", "sqlite", "mysql"])
def backend(request: pytest.FixtureRequest, clock: FixedClock) -> Backend:
    if request.param == "memory":
        container, state = request.getfixturevalue("memory")
        return Backend("memory", container, state, clock)
    return Backend(request.param, request.getfixturevalue(request.param), None, clock)


@pytest.fixture
async def shop(backend: Backend) -> Shop:
    return await given_shop(backend.admin, backend.clock)


async def given_reviews(b: Backend, product_id: int, scores: list[int]) -> list[datetime]:
    """Reviews of the product's first sku by user "reviewer", one minute apart (oldest first). Written by
    hand, not through the shop: read around the catalogue's caches, whose live values (the review summary)
    would not be told of them."""
    detail = await b.queries.detail(product_id)
    assert detail is not None
    first = detail.skus[0].sku
    start = b.clock.now()
    moments = [start + timedelta(minutes=n) for n in range(len(scores))]
    if b.state is not None:
        table = b.state.table(REVIEWS)
        for n, (score, at) in enumerate(zip(scores, moments, strict=True)):
            review_id = b.state.next_id(REVIEWS)
            row = ReviewRow(review_id, "reviewer", score, f"评论{n}", at, first.id, first.size, first.color)
            table[review_id] = StoredReview(review_id, product_id, 1, review_id, row)
        return moments
    return await insert_reviews(b.container.engine(), product_id, detail.product.name, first, scores, start)


# --- the shopper's reads ---------------------------------------------------------------------


async def test_home(backend: Backend, shop: Shop) -> None:
    home = await backend.catalog.home()
    assert [(c.id, c.name, c.slug, c.image_url) for c in home.categories] == [
        (shop.category_ids["intelligence"], "智能设备", "intelligence", "/media/c/intelligence.png"),
        (shop.category_ids["electricity"], "家用电器", "electricity", "/media/c/electricity.png"),
        (shop.category_ids["computer"], "电脑产品", "computer", "/media/c/computer.png"),
        (shop.category_ids["headset"], "高端耳机", "headset", "/media/c/headset.png"),
    ]
    assert [ids(c.products) for c in home.categories] == [[5, 4, 3, 2], [7], [8], []]
    assert [c.nav for c in home.categories] == [
        ["Redmi Note 12", "华为 nova 11", "OPPO Reno 9", "iPhone 14"],
        ["电风扇"],
        ["MacBook"],
        [],
    ]
    phones = home.categories[0].products
    assert [(c.name, str(c.price), c.sales, c.image_url, c.category) for c in phones] == [
        ("Redmi Note 12 Turbo", "1999.00", 900, "", "intelligence"),
        ("华为 nova 11 Pro", "2999.00", 10, "", "intelligence"),
        ("OPPO Reno9 Pro", "2999.00", 400, "", "intelligence"),
        ("iPhone 14 Pro Max", "9999.00", 30, "/media/p2/a.png", "intelligence"),
    ]
    assert [(b.name, b.image_url) for b in home.banners] == [
        ("轮播图1", "/media/b/1.jpg"),
        ("轮播图3", "/media/b/3.jpg"),
        ("轮播图4", "/media/b/4.jpg"),
        ("轮播图5", "/media/b/5.jpg"),
    ]


async def test_categories_and_banners(backend: Backend, shop: Shop) -> None:
    assert [c.slug for c in await backend.catalog.categories()] == [
        "intelligence",
        "electricity",
        "computer",
        "headset",
    ]
    assert [b.name for b in await backend.catalog.banners()] == ["轮播图1", "轮播图3", "轮播图4", "轮播图5"]
    assert await backend.queries.category_by_slug("toys") is None
    found = await backend.queries.category_by_slug("computer")
    assert found is not None
    assert found.id == shop.category_ids["computer"]


async def test_list_in_every_order(backend: Backend, shop: Shop) -> None:
    for sort in SortKey:
        page = await backend.catalog.list_products("all", sort, 1, 50)
        assert ids(page.items) == ORDERS[sort.value], sort
        assert page.total == len(ON_SHELF)
        # The same order, page by page.
        paged = []
        for number in (1, 2, 3):
            paged += ids((await backend.catalog.list_products("all", sort, number, 3)).items)
        assert paged == ORDERS[sort.value], sort


async def test_list_of_a_category_and_clamped_pages(backend: Backend, shop: Shop) -> None:
    phones = await backend.catalog.list_products("intelligence", SortKey.SALES_DESC, 1, 2)
    assert (ids(phones.items), phones.total, phones.pages) == ([5, 3], 5, 3)
    past = await backend.catalog.list_products("intelligence", SortKey.SALES_DESC, 50, 2)
    assert (ids(past.items), past.page) == ([4], 3)
    empty = await backend.catalog.list_products("headset", SortKey.PRICE, 3, 8)
    assert (empty.items, empty.page, empty.total) == ([], 1, 0)
    assert await backend.queries.count_products(None) == len(ON_SHELF)
    assert await backend.queries.count_products(shop.category_ids["intelligence"]) == 5


async def test_cards(backend: Backend, shop: Shop) -> None:
    cards = await backend.catalog.cards([8, OFF_SHELF, 999, 1])
    assert [(c.id, c.name, str(c.price), c.sales, c.image_url, c.category) for c in cards] == [
        (8, "MacBook Pro 14", "14999.00", 5, "/media/p8/a.png", "computer"),
        (1, "iPhone 14 Pro", "8888.00", 150, "/media/p1/a.png", "intelligence"),
    ]
    detail = await backend.catalog.detail(1)
    assert cards[1].sku_id == detail.skus[0].id
    assert await backend.catalog.cards([]) == []


async def test_detail(backend: Backend, shop: Shop) -> None:
    detail = await backend.catalog.detail(1)
    assert (detail.id, detail.name, detail.category) == (1, "iPhone 14 Pro", "intelligence")
    assert (detail.spu.id, detail.spu.name, detail.spu.detail) == (1, "iPhone 14", "iPhone 14 详情")
    assert [(s.id, s.color, s.size, str(s.price), s.stock, s.sales, s.images) for s in detail.skus] == [
        (1, "白色", "8G+256G", "8888.00", 5, 100, ["/media/p1/a.png", "/media/p1/b.png"]),
        (2, "黑色", "8G+512G", "9999.00", 3, 50, ["/media/p1/c.png"]),
        (3, "黑色", "8G+256G", "8888.00", 2, 0, []),
    ]
    assert detail.images == ["/media/p1/a.png", "/media/p1/b.png", "/media/p1/c.png"]
    assert (detail.sizes, detail.colors) == (["8G+256G", "8G+512G"], ["白色", "黑色"])
    assert ids(detail.hot) == [5, 3, 2, 4]
    assert (detail.reviews.count, detail.reviews.average_score, detail.reviews.satisfaction) == (
        0,
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert ids((await backend.catalog.detail(8)).hot) == []


async def test_live_values_of_a_block_of_products(backend: Backend, shop: Shop) -> None:
    """Every sku of the on-shelf products in the id range, with their review figures, in one statement."""
    await given_reviews(backend, 1, [5, 1, 3])
    found = await backend.queries.live_products([(1, 4), (5, 7)])
    assert sorted(found) == [1, 2, 3, 4, 5, 7]  # 6 is off shelf, 8 past the range
    first = found[1]
    assert [(str(s.price), s.stock, s.sales) for s in first.skus] == [
        ("8888.00", 5, 100),
        ("9999.00", 3, 50),
        ("8888.00", 2, 0),
    ]
    assert [s.id for s in first.skus] == [v.id for v in (await backend.catalog.detail(1)).skus]
    assert (first.reviews.count, str(first.reviews.average_score), str(first.reviews.satisfaction)) == (
        3,
        "3.00",
        "33.33",  # only the 5-point 好评 counts as satisfied
    )
    assert found[7].reviews.count == 0
    assert [(str(s.price), s.stock) for s in found[7].skus] == [("199.00", 50)]
    assert await backend.queries.live_products([(100, 163)]) == {}
    assert sorted(await backend.queries.live_products([(8, 8), (2, 3)])) == [2, 3, 8]


async def test_reviews_empty(backend: Backend, shop: Shop) -> None:
    page = await backend.catalog.reviews(1, 1, 8)
    assert (page.items, page.page, page.pages, page.total) == ([], 1, 1, 0)
    assert await backend.queries.count_reviews(1) == 0


async def test_reviews_and_their_summary(backend: Backend, shop: Shop) -> None:
    moments = await given_reviews(backend, 1, [5, 1, 3, 5])
    page = await backend.catalog.reviews(1, 1, 3)
    assert [(r.username, r.score, r.content, r.size, r.color) for r in page.items] == [
        ("r**", 5, "评论3", "8G+256G", "白色"),
        ("r**", 3, "评论2", "8G+256G", "白色"),
        ("r**", 1, "评论1", "8G+256G", "白色"),
    ]
    assert page.items[0].created_at == moments[3].isoformat()
    assert (page.total, page.pages) == (4, 2)
    assert [r.content for r in (await backend.catalog.reviews(1, 7, 3)).items] == ["评论0"]
    summary = (await backend.catalog.detail(1)).reviews
    assert (summary.count, summary.average_score, summary.satisfaction) == (
        4,
        Decimal("3.50"),
        Decimal("50.00"),
    )
    assert (await backend.catalog.detail(2)).reviews.count == 0


async def test_off_shelf_is_nowhere(backend: Backend, shop: Shop) -> None:
    assert not await backend.queries.is_listed(OFF_SHELF)
    assert await backend.queries.is_listed(1)
    assert await backend.queries.detail(OFF_SHELF) is None
    with pytest.raises(NotFound):
        await backend.catalog.detail(OFF_SHELF)
    await backend.admin.unshelve(1)
    assert not await backend.queries.is_listed(1)
    assert 1 not in ids((await backend.catalog.list_products("all", SortKey.PRICE, 1, 50)).items)
    assert (await backend.container.search().products("iPhone", 1, 8)).total == 1
    assert 1 not in ids((await backend.catalog.detail(5)).hot)


async def test_unknown_products_are_not_found(backend: Backend, shop: Shop) -> None:
    # Ids past 64 bits too: SQLite cannot even bind them, and they name nothing.
    for product_id in (999, 0, -1, 2**63, 10**30):
        with pytest.raises(NotFound):
            await backend.catalog.detail(product_id)
        with pytest.raises(NotFound):
            await backend.catalog.reviews(product_id, 1, 8)
        assert await backend.catalog.cards([product_id]) == []
        with pytest.raises(NotFound):
            await backend.admin.unshelve(product_id)
        with pytest.raises(NotFound):
            await backend.admin.set_stock(product_id, 1)  # as a sku id
        with pytest.raises(NotFound):
            await backend.admin.add_image(product_id, b"\x89PNG", "png")


# --- the card, kept current ------------------------------------------------------------------


async def card(b: Backend, product_id: int) -> tuple[int, str, int, str]:
    (found,) = await b.catalog.cards([product_id])
    return found.sku_id, str(found.price), found.sales, found.image_url


async def test_card_follows_set_price(backend: Backend, shop: Shop) -> None:
    assert await card(backend, 1) == (1, "8888.00", 150, "/media/p1/a.png")
    await backend.admin.set_price(2, "7999.00")  # not the first sku, now the cheapest: the card shows it
    assert await card(backend, 1) == (2, "7999.00", 150, "/media/p1/c.png")
    assert ids((await backend.catalog.list_products("intelligence", SortKey.PRICE_DESC, 1, 8)).items) == [
        2,
        1,
        4,
        3,
        5,
    ]
    await backend.admin.set_price(2, "9999.00")
    assert await card(backend, 1) == (1, "8888.00", 150, "/media/p1/a.png")


async def test_card_prices_from_the_cheapest_to_the_dearest_sku(backend: Backend, shop: Shop) -> None:
    """Product 1's skus cost 8888, 9999 and 8888: its card says ¥8888.00 起 and links to sku 1."""
    (found,) = await backend.catalog.cards([1])
    assert (found.sku_id, str(found.price), str(found.max_price)) == (1, "8888.00", "9999.00")
    await backend.admin.set_price(2, "7999.00")
    (found,) = await backend.catalog.cards([1])
    assert (found.sku_id, str(found.price), str(found.max_price)) == (2, "7999.00", "8888.00")
    (single,) = await backend.catalog.cards([8])  # one sku: one price
    assert single.price == single.max_price


async def test_card_follows_set_stock(backend: Backend, shop: Shop) -> None:
    await backend.admin.set_stock(1, 0)
    assert await card(backend, 1) == (1, "8888.00", 150, "/media/p1/a.png")
    assert (await backend.catalog.detail(1)).skus[0].stock == 0


async def test_card_follows_add_sku(backend: Backend, shop: Shop) -> None:
    new = await backend.admin.add_sku(8, sku("9999.00", 2, color="银色", size="M3", images=["p8/new.png"]))
    assert await card(backend, 8) == (11, "9999.00", 5, "/media/p8/new.png")  # the new sku is the cheapest
    detail = await backend.catalog.detail(8)
    assert [s.id for s in detail.skus] == [10, new.id]
    assert new.id == 11
    assert detail.skus[1].images == ["/media/p8/new.png"]
    assert ids((await backend.catalog.list_products("all", SortKey.PRICE, 1, 8)).items) == [
        7,
        5,
        3,
        4,
        1,
        2,
        8,
    ]


async def test_card_follows_upsert_with_sales(backend: Backend, shop: Shop) -> None:
    await backend.admin.upsert_product(
        product("computer", "MacBook", "MacBook Pro 14", sku("13999.00", 1, sales=7, color="灰"))
    )
    # the new, cheaper sku has no image of its own: the card shows it with the product's first image
    assert await card(backend, 8) == (11, "13999.00", 12, "/media/p8/a.png")
    assert ids((await backend.catalog.list_products("all", SortKey.SALES, 1, 2)).items) == [4, 8]


async def test_card_follows_add_image(backend: Backend, shop: Shop) -> None:
    assert await card(backend, 3) == (5, "2999.00", 400, "")
    file_id = await backend.admin.add_image(5, b"\x89PNG not really", "png")
    assert await card(backend, 3) == (5, "2999.00", 400, f"/media/{file_id}")
    assert (await backend.catalog.home()).categories[0].products[0].id == 3  # updated: the newest now


async def test_card_keeps_the_first_image_of_the_first_sku(backend: Backend, shop: Shop) -> None:
    await backend.admin.add_image(2, b"\x89PNG not really", "png")  # a later sku's image
    await backend.admin.add_image(1, b"\x89PNG not really", "png")  # a later image of the first sku
    assert await card(backend, 1) == (1, "8888.00", 150, "/media/p1/a.png")


# --- the operator's repository ---------------------------------------------------------------


async def test_repository_reads(backend: Backend, shop: Shop) -> None:
    async with backend.container.uow() as uow:
        repo = uow.catalog
        assert await repo.count_products() == 8
        found = await repo.get_product(1)
        assert found is not None
        assert [(s.id, s.price, s.stock, s.sales) for s in found.skus] == [
            (1, Money.of("8888.00"), 5, 100),
            (2, Money.of("9999.00"), 3, 50),
            (3, Money.of("8888.00"), 2, 0),
        ]
        assert found.created_at == datetime(2026, 1, 1, 0, 1, tzinfo=found.created_at.tzinfo)  # type: ignore[union-attr]
        assert found.created_at is not None
        assert found.created_at.utcoffset() == timedelta(0)
        off = await repo.get_product(OFF_SHELF)
        assert off is not None
        assert not off.on_shelf
        spu = await repo.find_spu("iPhone 14", shop.category_ids["intelligence"])
        assert spu is not None
        assert spu.id == 1
        assert await repo.find_spu("iPhone 14", shop.category_ids["computer"]) is None
        namesake = await repo.find_product("iPhone 14 Pro Max", 1)
        assert namesake is not None
        assert namesake.id == 2
        assert await repo.get_product(999) is None
        assert await repo.get_sku(999) is None
        assert [b.name for b in await repo.list_banners()] == [f"轮播图{n}" for n in range(1, 7)]
        category = await repo.get_category(shop.category_ids["headset"])
        assert category is not None
        assert category.slug == "headset"


async def test_a_unit_of_work_that_does_not_commit_leaves_nothing(backend: Backend, shop: Shop) -> None:
    async with backend.container.uow() as uow:
        category = await uow.catalog.find_category("headset")
        assert category is not None
        spu = await uow.catalog.add_spu("AirPods", "", category.id)
        await uow.catalog.add_product("AirPods Pro", spu.id, category.id, True)
    async with backend.container.uow() as uow:
        assert await uow.catalog.count_products() == 8
