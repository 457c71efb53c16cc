"""The catalogue's use cases on the in-memory adapters: what a shopper sees, what an operator changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from tests.catalog_support import (
    OFF_SHELF,
    ON_SHELF,
    ORDERS,
    PRODUCTS,
    Shop,
    given_categories,
    given_shop,
    ids,
    product,
    sku,
)

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.blobs import MemoryBlobStore
from jiadian.adapters.memory.catalog import CATEGORIES as CATEGORY_TABLE
from jiadian.adapters.memory.catalog import REVIEWS, StoredReview
from jiadian.adapters.memory.state import MemoryState
from jiadian.application.catalog import BANNERS_KEY, CATEGORIES_KEY, HOME_KEY, Catalog, Home
from jiadian.application.catalog_admin import CatalogAdmin
from jiadian.application.catalog_ports import ReviewRow
from jiadian.application.search import Search
from jiadian.container import Container
from jiadian.domain.catalog import SortKey
from jiadian.domain.errors import InvalidAmount, NotFound, ValidationFailed
from jiadian.domain.money import Money


@dataclass
class World:
    catalog: Catalog
    admin: CatalogAdmin
    search: Search
    state: MemoryState
    clock: FixedClock
    shop: Shop


@pytest.fixture
async def world(memory: tuple[Container, MemoryState], clock: FixedClock) -> World:
    container, state = memory
    admin = container.catalog_admin()
    shop = await given_shop(admin, clock)
    return World(container.catalog(), admin, container.search(), state, clock, shop)


# --- home ------------------------------------------------------------------------------------


async def test_home_shows_every_category_with_its_newest_products(world: World) -> None:
    home = await world.catalog.home()
    assert [c.slug for c in home.categories] == ["intelligence", "electricity", "computer", "headset"]
    phones, kitchen, computers, headsets = home.categories
    # Five phones on shelf (one more off shelf): the four most recently updated, newest first.
    assert ids(phones.products) == [5, 4, 3, 2]
    assert phones.nav == ["Redmi Note 12", "华为 nova 11", "OPPO Reno 9", "iPhone 14"]
    assert ids(kitchen.products) == [7]
    assert kitchen.nav == ["电风扇"]
    assert ids(computers.products) == [8]
    assert (headsets.products, headsets.nav) == ([], [])
    assert phones.image_url == "/media/c/intelligence.png"


async def test_home_limits_hold_with_many_products(world: World) -> None:
    for n in range(6):
        world.clock.advance(minutes=1)
        await world.admin.upsert_product(product("headset", f"系列{n}", f"耳机{n}", sku("99.00")))
    headsets = (await world.catalog.home()).categories[3]
    assert len(headsets.products) == 4
    assert [p.name for p in headsets.products] == ["耳机5", "耳机4", "耳机3", "耳机2"]
    assert headsets.nav == ["系列5", "系列4", "系列3", "系列2"]


async def test_nav_names_each_product_line_once(world: World) -> None:
    # Updating iPhone 14 Pro makes it the newest: the iPhone 14 line appears once in the nav.
    world.clock.advance(minutes=1)
    await world.admin.upsert_product(PRODUCTS[0])
    phones = (await world.catalog.home()).categories[0]
    assert ids(phones.products) == [1, 5, 4, 3]
    assert phones.nav == ["iPhone 14", "Redmi Note 12", "华为 nova 11", "OPPO Reno 9"]


async def test_home_cards_show_price_and_first_image(world: World) -> None:
    cards = {c.id: c for category in (await world.catalog.home()).categories for c in category.products}
    iphone_max = cards[2]
    assert (iphone_max.price, iphone_max.sales, iphone_max.image_url) == (
        Money.of("9999.00"),
        30,
        "/media/p2/a.png",
    )
    assert iphone_max.category == "intelligence"
    assert cards[3].image_url == ""  # no image at all


async def test_home_shows_up_to_four_active_banners_in_order(world: World) -> None:
    home = await world.catalog.home()
    assert [b.name for b in home.banners] == ["轮播图1", "轮播图3", "轮播图4", "轮播图5"]
    assert home.banners[0].image_url == "/media/b/1.jpg"
    assert [b.name for b in await world.catalog.banners()] == ["轮播图1", "轮播图3", "轮播图4", "轮播图5"]


async def test_categories(world: World) -> None:
    categories = await world.catalog.categories()
    assert [(c.name, c.slug) for c in categories] == [
        ("智能设备", "intelligence"),
        ("家用电器", "electricity"),
        ("电脑产品", "computer"),
        ("高端耳机", "headset"),
    ]


# --- lists -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", list(SortKey))
async def test_every_sort_key_orders_the_list(world: World, sort: SortKey) -> None:
    page = await world.catalog.list_products("all", sort, 1, 50)
    assert ids(page.items) == ORDERS[sort.value]
    if sort.column == "price":
        prices = [c.price for c in page.items]
        assert prices == sorted(prices, reverse=sort.descending)
    if sort.column == "sales":
        sales = [c.sales for c in page.items]
        assert sales == sorted(sales, reverse=sort.descending)


async def test_list_of_one_category(world: World) -> None:
    page = await world.catalog.list_products("intelligence", SortKey.PRICE, 1, 50)
    assert ids(page.items) == [5, 3, 4, 1, 2]
    assert page.total == 5
    assert {c.category for c in page.items} == {"intelligence"}
    empty = await world.catalog.list_products("headset", SortKey.PRICE, 1, 50)
    assert (empty.items, empty.total, empty.page, empty.pages) == ([], 0, 1, 1)


async def test_a_card_shows_the_lowest_price_and_summed_sales(world: World) -> None:
    page = await world.catalog.list_products("all", SortKey.DATE, 1, 1)
    card = page.items[0]
    assert (card.id, card.name, card.price, card.sales) == (1, "iPhone 14 Pro", Money.of("8888.00"), 150)
    assert card.image_url == "/media/p1/a.png"
    # The first sku (lowest id) is the one a card links to.
    detail = await world.catalog.detail(1)
    assert card.sku_id == detail.skus[0].id


async def test_pages_and_clamping(world: World) -> None:
    first = await world.catalog.list_products("all", SortKey.PRICE, 1, 3)
    assert (ids(first.items), first.page, first.pages, first.total) == ([7, 5, 3], 1, 3, 7)
    last = await world.catalog.list_products("all", SortKey.PRICE, 3, 3)
    assert (ids(last.items), last.page) == ([8], 3)
    past = await world.catalog.list_products("all", SortKey.PRICE, 99, 3)
    assert (ids(past.items), past.page) == ([8], 3)
    before = await world.catalog.list_products("all", SortKey.PRICE, 0, 3)
    assert (ids(before.items), before.page) == ([7, 5, 3], 1)


@pytest.mark.parametrize("page_size", [0, -1, 51])
async def test_page_size_is_bounded(world: World, page_size: int) -> None:
    with pytest.raises(ValidationFailed, match="page_size"):
        await world.catalog.list_products("all", SortKey.PRICE, 1, page_size)
    with pytest.raises(ValidationFailed, match="page_size"):
        await world.search.products("Pro", 1, page_size)
    with pytest.raises(ValidationFailed, match="page_size"):
        await world.catalog.reviews(1, 1, page_size)


async def test_an_unknown_category_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await world.catalog.list_products("toys", SortKey.PRICE, 1, 8)


# --- detail ----------------------------------------------------------------------------------


async def test_detail_shows_every_sku_and_deduplicated_specs(world: World) -> None:
    detail = await world.catalog.detail(1)
    assert (detail.id, detail.name, detail.category) == (1, "iPhone 14 Pro", "intelligence")
    assert (detail.spu.name, detail.spu.detail) == ("iPhone 14", "iPhone 14 详情")
    assert [(s.color, s.size, s.price, s.stock, s.sales) for s in detail.skus] == [
        ("白色", "8G+256G", Money.of("8888.00"), 5, 100),
        ("黑色", "8G+512G", Money.of("9999.00"), 3, 50),
        ("黑色", "8G+256G", Money.of("8888.00"), 2, 0),
    ]
    assert detail.sizes == ["8G+256G", "8G+512G"]
    assert detail.colors == ["白色", "黑色"]
    assert detail.skus[0].images == ["/media/p1/a.png", "/media/p1/b.png"]
    assert detail.images == ["/media/p1/a.png", "/media/p1/b.png", "/media/p1/c.png"]


async def test_hot_products_are_other_best_sellers_of_the_category(world: World) -> None:
    detail = await world.catalog.detail(1)
    # Same category, by sales descending, itself excluded, the off-shelf best seller left out.
    assert ids(detail.hot) == [5, 3, 2, 4]
    assert [h.sales for h in detail.hot] == [900, 400, 30, 10]
    assert ids((await world.catalog.detail(5)).hot) == [3, 1, 2, 4]
    assert ids((await world.catalog.detail(8)).hot) == []


async def test_hot_products_are_at_most_four(world: World) -> None:
    for n in range(3):
        await world.admin.upsert_product(product("intelligence", "新系列", f"新品{n}", sku("1.00", sales=n)))
    assert len((await world.catalog.detail(1)).hot) == 4


def add_review(state: MemoryState, product_id: int, score: int, at: datetime, text: str = "好") -> None:
    table = state.table(REVIEWS)
    review_id = state.next_id(REVIEWS)
    row = ReviewRow(review_id, f"user{review_id}", score, text, at, 1, "8G+256G", "白色")
    table[review_id] = StoredReview(review_id, product_id, review_id, review_id, row)


async def test_detail_summarises_reviews(world: World) -> None:
    now = world.clock.now()
    for n, score in enumerate([5, 5, 1]):
        add_review(world.state, 1, score, now + timedelta(minutes=n))
    add_review(world.state, 2, 1, now)
    detail = await world.catalog.detail(1)
    assert (detail.reviews.count, detail.reviews.average_score, detail.reviews.satisfaction) == (
        3,
        Decimal("3.67"),
        Decimal("66.67"),
    )
    assert (await world.catalog.detail(3)).reviews.count == 0


async def test_reviews_are_listed_newest_first(world: World) -> None:
    now = world.clock.now()
    for n, score in enumerate([5, 3, 1]):
        add_review(world.state, 1, score, now + timedelta(minutes=n), text=f"评论{n}")
    page = await world.catalog.reviews(1, 1, 2)
    assert [r.content for r in page.items] == ["评论2", "评论1"]
    assert (page.total, page.pages) == (3, 2)
    past = await world.catalog.reviews(1, 5, 2)
    assert ([r.content for r in past.items], past.page) == (["评论0"], 2)
    assert past.items[0].created_at == now.isoformat()


async def test_an_unknown_product_is_not_found(world: World) -> None:
    for missing in (999, 0, -1, 2**63, 10**30):
        with pytest.raises(NotFound):
            await world.catalog.detail(missing)
        with pytest.raises(NotFound):
            await world.catalog.reviews(missing, 1, 8)


# --- off shelf -------------------------------------------------------------------------------


async def test_an_off_shelf_product_is_nowhere(world: World) -> None:
    with pytest.raises(NotFound):
        await world.catalog.detail(OFF_SHELF)
    with pytest.raises(NotFound):
        await world.catalog.reviews(OFF_SHELF, 1, 8)
    listed = await world.catalog.list_products("all", SortKey.PRICE, 1, 50)
    assert sorted(ids(listed.items)) == ON_SHELF
    assert listed.total == len(ON_SHELF)
    assert (await world.search.products("一加", 1, 8)).items == []
    home = await world.catalog.home()
    assert OFF_SHELF not in {c.id for category in home.categories for c in category.products}
    assert "一加 Ace 2" not in home.categories[0].nav
    assert OFF_SHELF not in {h.id for h in (await world.catalog.detail(1)).hot}
    assert ids(await world.catalog.cards([OFF_SHELF, 1])) == [1]


async def test_unshelving_and_shelving_again(world: World) -> None:
    await world.admin.unshelve(5)
    with pytest.raises(NotFound):
        await world.catalog.detail(5)
    assert 5 not in ids((await world.catalog.list_products("all", SortKey.PRICE, 1, 50)).items)
    await world.admin.shelve(OFF_SHELF)
    assert (await world.catalog.detail(OFF_SHELF)).name == "一加 Ace 2 旧款"
    assert ids((await world.catalog.detail(1)).hot)[0] == OFF_SHELF  # 5000 sales


async def test_cards_keep_the_order_asked_for(world: World) -> None:
    assert ids(await world.catalog.cards([8, 999, 1, 3])) == [8, 1, 3]
    assert await world.catalog.cards([]) == []


# --- the operator's writes -------------------------------------------------------------------


async def test_upsert_updates_a_known_product_and_matches_skus_by_specs(world: World) -> None:
    changed = product(
        "intelligence",
        "iPhone 14",
        "iPhone 14 Pro",
        sku("7999.00", 9, color="白色", size="8G+256G"),  # known: new price and stock
        sku("10999.00", 1, color="紫色", size="8G+1T"),  # new
    )
    await world.admin.upsert_product(changed)
    detail = await world.catalog.detail(1)
    assert [(s.color, s.size, s.price, s.stock) for s in detail.skus] == [
        ("白色", "8G+256G", Money.of("7999.00"), 9),
        ("黑色", "8G+512G", Money.of("9999.00"), 3),
        ("黑色", "8G+256G", Money.of("8888.00"), 2),
        ("紫色", "8G+1T", Money.of("10999.00"), 1),
    ]
    assert await world.admin.product_count() == len(PRODUCTS)


async def test_a_product_cannot_list_the_same_sku_twice(world: World) -> None:
    twice = product(
        "headset", "AirPods", "AirPods Pro", sku("1899.00", color="白色"), sku("1799.00", color="白色")
    )
    with pytest.raises(ValidationFailed):
        await world.admin.upsert_product(twice)
    assert await world.admin.product_count() == len(PRODUCTS)


@pytest.mark.parametrize(
    "bad",
    [
        product("toys", "x", "玩具", sku("1.00")),
        product("headset", "x", "无规格"),
        product("headset", "x", "   ", sku("1.00")),
        product("headset", "", "无系列", sku("1.00")),
        product("headset", "x", "负库存", sku("1.00", -1)),
        product("headset", "x", "价格", sku("1.001")),
        product("headset", "x", "价格", sku("abc")),
        product("headset", "x", "价格", sku("1e30")),
        product("headset", "x", "名" * 101, sku("1.00")),
    ],
)
async def test_bad_products_are_refused(world: World, bad: object) -> None:
    with pytest.raises((NotFound, ValidationFailed)):
        await world.admin.upsert_product(bad)  # type: ignore[arg-type]
    assert await world.admin.product_count() == len(PRODUCTS)


async def test_import_is_all_or_nothing_and_names_the_bad_product(world: World) -> None:
    good = [product("headset", "AirPods", f"AirPods {n}", sku("1899.00")) for n in range(3)]
    bad = product("headset", "AirPods", "AirPods 坏", sku("-1.00"))
    with pytest.raises(InvalidAmount) as caught:
        await world.admin.import_products([*good[:2], bad, good[2]])
    assert "第 3 条" in caught.value.detail
    assert "AirPods 坏" in caught.value.detail
    assert await world.admin.product_count() == len(PRODUCTS)
    assert (await world.search.products("AirPods", 1, 8)).total == 0

    progress: list[int] = []
    assert await world.admin.import_products(good, progress=progress.append, step=2) == 3
    assert sum(progress) == 3
    assert (await world.search.products("AirPods", 1, 8)).total == 3


async def test_import_can_label_products_by_their_source_lines(world: World) -> None:
    bad = product("toys", "x", "玩具", sku("1.00"))
    with pytest.raises(NotFound) as caught:
        await world.admin.import_products([bad], labels=["第 7 行"])
    assert caught.value.detail.startswith("第 7 行")


async def test_set_stock_and_price(world: World) -> None:
    detail = await world.catalog.detail(2)
    sku_id = detail.skus[0].id
    assert (await world.admin.set_stock(sku_id, 0)).stock == 0
    assert (await world.admin.set_price(sku_id, "8999.50")).price == Money.of("8999.50")
    detail = await world.catalog.detail(2)
    assert (detail.skus[0].stock, detail.skus[0].price) == (0, Money.of("8999.50"))
    with pytest.raises(ValidationFailed):
        await world.admin.set_stock(sku_id, -1)
    with pytest.raises(InvalidAmount):
        await world.admin.set_price(sku_id, "abc")
    with pytest.raises(NotFound):
        await world.admin.set_price(999, "1.00")
    with pytest.raises(NotFound):
        await world.admin.set_stock(2**70, 1)
    assert (await world.catalog.detail(2)).skus[0].price == Money.of("8999.50")


async def test_add_sku_and_image(world: World) -> None:
    new = await world.admin.add_sku(8, sku("12999.00", 4, color="银色", size="M3"))
    file_id = await world.admin.add_image(new.id, b"\x89PNG fake", "png")
    detail = await world.catalog.detail(8)
    assert detail.skus[-1].images == [f"/media/{file_id}"]
    assert detail.sizes == ["M3"]
    assert detail.colors == ["银色"]
    assert (await world.catalog.cards([8]))[0].price == Money.of("12999.00")


async def test_add_image_to_an_unknown_sku_keeps_no_file(world: World) -> None:
    blobs = world.admin.blobs
    assert isinstance(blobs, MemoryBlobStore)
    with pytest.raises(NotFound):
        await world.admin.add_image(999, b"data", "png")
    assert blobs.files == {}


async def test_banners_can_be_switched_off_and_deleted(world: World) -> None:
    first, _inactive, third, *_ = world.shop.banner_ids
    await world.admin.set_banner_active(first, False)
    await world.admin.delete_banner(third)
    assert [b.name for b in await world.catalog.banners()] == ["轮播图4", "轮播图5", "轮播图6"]
    with pytest.raises(NotFound):
        await world.admin.delete_banner(third)
    with pytest.raises(NotFound):
        await world.admin.set_banner_active(999, True)


async def test_a_category_slug_is_unique(world: World) -> None:
    with pytest.raises(ValidationFailed):
        await world.admin.add_category("手机", "intelligence")


# --- the cache -------------------------------------------------------------------------------

Write = Callable[[World], Awaitable[object]]


async def _upsert(w: World) -> None:
    await w.admin.upsert_product(product("headset", "AirPods", "AirPods Pro", sku("1899.00")))


async def _import(w: World) -> None:
    await w.admin.import_products([product("headset", "AirPods", "AirPods 3", sku("1399.00"))])


async def _set_stock(w: World) -> None:
    await w.admin.set_stock(1, 99)


async def _set_price(w: World) -> None:
    await w.admin.set_price(1, "1.00")


async def _unshelve(w: World) -> None:
    await w.admin.unshelve(5)


async def _shelve(w: World) -> None:
    await w.admin.shelve(OFF_SHELF)


async def _rename(w: World) -> None:
    await w.admin.rename_product(5, "红米")


async def _add_sku(w: World) -> None:
    await w.admin.add_sku(5, sku("1.00", color="蓝"))


async def _add_image(w: World) -> None:
    await w.admin.add_image(1, b"\x89PNG fake", "png")


async def _add_banner(w: World) -> None:
    await w.admin.add_banner("新轮播图", "b/new.jpg", position=-1)


async def _banner_off(w: World) -> None:
    await w.admin.set_banner_active(w.shop.banner_ids[0], False)


async def _delete_banner(w: World) -> None:
    await w.admin.delete_banner(w.shop.banner_ids[0])


async def _add_category(w: World) -> None:
    await w.admin.add_category("玩具", "toys")


WRITES: dict[str, Write] = {
    "upsert": _upsert,
    "import": _import,
    "set_stock": _set_stock,
    "set_price": _set_price,
    "unshelve": _unshelve,
    "shelve": _shelve,
    "rename": _rename,
    "add_sku": _add_sku,
    "add_image": _add_image,
    "add_banner": _add_banner,
    "set_banner_active": _banner_off,
    "delete_banner": _delete_banner,
    "add_category": _add_category,
}


def rename_category_behind_the_cache(state: MemoryState) -> None:
    """Change the stored data without any use case, so only a cache drop can reveal it."""
    table = state.table(CATEGORY_TABLE)
    table[1] = replace(table[1], name="手机数码")


@pytest.mark.parametrize("write", list(WRITES))
async def test_every_operator_write_drops_the_cached_home(world: World, write: str) -> None:
    before = await world.catalog.home()
    assert before.categories[0].name == "智能设备"
    rename_category_behind_the_cache(world.state)
    cached = await world.catalog.home()
    assert cached.categories[0].name == "智能设备"  # served from the cache
    assert await world.catalog.cache.get(HOME_KEY, Home) is not None

    await WRITES[write](world)

    after = await world.catalog.home()
    assert after.categories[0].name == "手机数码"


@pytest.mark.parametrize("write", list(WRITES))
async def test_every_operator_write_drops_cached_categories_and_banners(world: World, write: str) -> None:
    await world.catalog.categories()
    await world.catalog.banners()
    await WRITES[write](world)
    assert await world.catalog.cache.get(CATEGORIES_KEY, list) is None
    assert await world.catalog.cache.get(BANNERS_KEY, list) is None


async def test_the_cached_home_changes_after_a_visible_write(world: World) -> None:
    phones = (await world.catalog.home()).categories[0]
    assert phones.products[0].price == Money.of("1999.00")
    sku_id = phones.products[0].sku_id
    await world.admin.set_price(sku_id, "1799.00")
    assert (await world.catalog.home()).categories[0].products[0].price == Money.of("1799.00")


async def test_a_failed_import_leaves_the_cache_alone(world: World) -> None:
    await world.catalog.home()
    rename_category_behind_the_cache(world.state)
    with pytest.raises(NotFound):
        await world.admin.import_products([product("toys", "x", "玩具", sku("1.00"))])
    assert (await world.catalog.home()).categories[0].name == "智能设备"


async def test_an_empty_shop(memory: tuple[Container, MemoryState]) -> None:
    container, _state = memory
    catalog = container.catalog()
    home = await catalog.home()
    assert (home.categories, home.banners) == ([], [])
    await given_categories(container.catalog_admin())
    page = await catalog.list_products("all", SortKey.DATE_DESC, 5, 8)
    assert (page.items, page.page, page.pages, page.total) == ([], 1, 1, 0)
    assert [c.products for c in (await catalog.home()).categories] == [[], [], [], []]
