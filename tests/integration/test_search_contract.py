"""One contract for search, run on memory, SQLite and MariaDB alike, over the demo catalogue.

What a shopper types must find the same products, in the same order, on every backend: brands in spu
names, families, categories and specs, every quick link of the home page, folded case and width,
brand aliases; nothing for nonsense or punctuation; and a catalogue change is found at once.
Product ids are the demo file's (1..24).
"""

from __future__ import annotations

import pytest
from tests.catalog_support import ids
from tests.search_support import given_demo, products_of_line

from jiadian.adapters.sql import search as sql_search
from jiadian.application.catalog_admin import ProductSpec, SkuSpec
from jiadian.container import Container
from jiadian.domain.catalog import SortKey
from jiadian.domain.errors import ValidationFailed

HUAWEI = {6, 12, 16, 23, 24}  # nova 11, MateBook (alias matebook ↔ 华为笔记本), FreeBuds, Mate40Pro, 智慧屏
PHONES = [3, 23, 6, 4, 5, 1, 2]  # "手机" in the name first (by sales), then in a spu's detail (by sales)


@pytest.fixture(params=["memory", "sqlite", "mysql"])
def backend(request: pytest.FixtureRequest) -> Container:
    if request.param == "memory":
        container: Container = request.getfixturevalue("memory")[0]
        return container
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.fixture
async def shop(backend: Container, monkeypatch: pytest.MonkeyPatch) -> Container:
    await given_demo(backend, monkeypatch)
    return backend


async def found(shop: Container, text: str, sort: SortKey | None = None) -> list[int]:
    page = await shop.search().products(text, 1, 50, sort)
    assert page.total == len(page.items), text
    return ids(page.items)


# --- what shoppers type ----------------------------------------------------------------------


SHOPPERS_TYPE = [
    ("华为手机", [23, 6]),  # the phones of the brand, not its earphones nor the iPhones
    ("联想", [21, 13]),
    ("SONY耳机", [19]),
    ("电冰箱", [10]),
    ("冰箱", [10]),
    ("Redmi Note 12 Turbo", [4]),  # the product is "Redmi Note Turbo 12"
    ("Mate 40 Pro", [23]),  # the name says "Mate40Pro"
    ("扇", [7]),  # one character
    ("笔记本", [12, 15, 20, 14, 21, 13]),
]


async def test_finds_what_shoppers_type(shop: Container) -> None:
    for text, expected in SHOPPERS_TYPE:
        assert await found(shop, text) == expected, text


async def test_brands_live_in_product_lines(shop: Container) -> None:
    assert set(await found(shop, "华为")) == HUAWEI
    assert {1, 2, 17, 20} == set(await found(shop, "苹果"))  # iPhones, AirPods, MacBook (alias)


async def test_best_match_first_then_sales(shop: Container) -> None:
    assert await found(shop, "手机") == PHONES


async def test_every_quick_link_of_the_home_page_finds_its_products(shop: Container) -> None:
    home = await shop.catalog().home()
    links = [nav for category in home.categories for nav in category.nav]
    assert len(links) == 16
    for link in links:
        line = products_of_line(link)
        assert line, link
        results = await found(shop, link)
        assert set(results[: len(line)]) == line, link  # the line's own products, before any other


async def test_case_and_width_fold(shop: Container) -> None:
    for text in ["sony", "SONY", "Sony", "ｓｏｎｙ", "ＳＯＮＹ", "  sony  ", "Sony耳机"]:
        assert await found(shop, text) == [19], text
    assert await found(shop, "ＲＥＤＭＩ　ＮＯＴＥ　１２") == [4]  # full-width letters, digits and spaces


async def test_aliases_work_both_ways(shop: Container) -> None:
    assert await found(shop, "索尼") == [19]  # the product says SONY
    assert set(await found(shop, "huawei")) == HUAWEI
    assert await found(shop, "lenovo") == await found(shop, "联想")
    assert await found(shop, "sennheiser") == [22]


NOTHING = [
    "zzqx",
    "天文望远镜",
    "%",
    "_",
    "%%",
    "' OR 1=1 --",
    '"; DROP TABLE products; --',
    "华为 zzqx",
    "\\",
]


async def test_nonsense_punctuation_and_sql_find_nothing(shop: Container) -> None:
    for text in NOTHING:  # wildcards and quotes are no words: they match nothing, never everything
        page = await shop.search().products(text, 1, 8)
        assert (page.items, page.total, page.page, page.pages) == ([], 0, 1, 1), text


async def test_an_empty_or_over_long_query_is_refused(shop: Container) -> None:
    for text in ["", "   ", "x" * 101]:
        with pytest.raises(ValidationFailed):
            await shop.search().products(text, 1, 8)
        with pytest.raises(ValidationFailed):
            await shop.search().suggest(text)


# --- orders and pages ------------------------------------------------------------------------


@pytest.mark.parametrize("walk", [False, True], ids=["gather", "walk"])
async def test_a_picked_sort_applies(shop: Container, walk: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # SQL: walk the list order and check each product, or sort the matches (the adapter's choice by cost)
    monkeypatch.setattr(sql_search, "WALK_BUDGET", 10**9 if walk else 0)
    assert await found(shop, "手机", SortKey.PRICE) == [4, 3, 6, 5, 23, 1, 2]
    assert await found(shop, "手机", SortKey.SALES_DESC) == [4, 3, 23, 5, 1, 2, 6]
    assert await found(shop, "手机", SortKey.DATE_DESC) == [23, 6, 5, 4, 3, 2, 1]
    page = await shop.search().products("手机", 2, 3, SortKey.PRICE)
    assert (ids(page.items), page.page, page.pages, page.total) == ([5, 23, 1], 2, 3, 7)


TWO_WORDS = [
    "华为手机",
    "SONY耳机",
    "苹果 手机",
    "华为 笔记本",
    "手机 白色",
    "耳机 黑色",
    "笔记本 电脑",
    "手机 手机",
]


async def every_page(shop: Container, text: str, page_size: int) -> list[int]:
    found: list[int] = []
    first = await shop.search().products(text, 1, page_size)
    for number in range(1, first.pages + 1):
        found += ids((await shop.search().products(text, number, page_size)).items)
    return found


@pytest.mark.parametrize("page_size", [1, 2, 3, 50])
async def test_two_words_rank_alike_walked_or_intersected(
    shop: Container, page_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQL walks a two-word query's best matches by pairs of weights while the page ends within
    `PAIR_WALK` matches, and intersects every posting past it: every page the same either way."""
    for text in TWO_WORDS:
        monkeypatch.setattr(sql_search, "PAIR_WALK", 10**9)
        walked = await every_page(shop, text, page_size)
        monkeypatch.setattr(sql_search, "PAIR_WALK", 0)
        intersected = await every_page(shop, text, page_size)
        assert walked == intersected, text
        assert len(set(walked)) == len(walked) == (await shop.search().products(text, 1, 1)).total, text
    assert await found(shop, "华为手机") == [23, 6]


async def test_two_words_rank_by_the_sum_of_their_weights_on_every_page(
    shop: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each pair of fields the two words are found in: name 3, product line 2, its detail 1."""
    specs = [  # (line, name, line detail): ids 25..30, no sales (ties: the newest first)
        ("line a", "zeta omega 1", ""),  # 3 + 3
        ("omega line", "zeta 2", ""),  # 3 + 2
        ("line c", "omega 3", "zeta"),  # 3 + 1
        ("zeta omega", "x 4", ""),  # 2 + 2
        ("line e", "y 5", "zeta omega"),  # 1 + 1
        ("line f", "zeta 6", "omega"),  # 3 + 1
    ]
    await shop.catalog_admin().import_products(
        [ProductSpec("computer", line, name, [SkuSpec("9.00", 5)], detail) for line, name, detail in specs]
    )
    best_first = [25, 26, 30, 28, 27, 29]
    for walk in (10**9, 0):
        monkeypatch.setattr(sql_search, "PAIR_WALK", walk)
        assert await found(shop, "zeta omega") == best_first
        assert await found(shop, "omega zeta") == best_first
        for page_size in (1, 2, 4):
            assert await every_page(shop, "omega zeta", page_size) == best_first


async def test_a_pair_of_weights_is_walked_from_its_rarer_word() -> None:
    postings = {("华为", 3): 5, ("华为", 1): 40, ("手机", 3): 7, ("手机", 1): 2, ("其他", 2): 1}
    assert sql_search.pair_walks(("华为", "手机"), postings) == [
        ("手机", 1, "华为", 1),
        ("手机", 3, "华为", 1),
        ("手机", 1, "华为", 3),
        ("华为", 3, "手机", 3),
    ]
    assert sql_search.pair_walks(("华为", "手机"), {("华为", 3): 5}) == []  # 手机 held nowhere


async def test_pages_and_clamps(shop: Container) -> None:
    page = await shop.search().products("手机", 2, 3)
    assert (ids(page.items), page.page, page.pages, page.total) == (PHONES[3:6], 2, 3, 7)
    past = await shop.search().products("手机", 9, 3)
    assert (ids(past.items), past.page) == (PHONES[6:], 3)


async def test_ranking_sales_follow_orders_after_a_sweep(shop: Container) -> None:
    await shop.catalog_admin().set_stock(2, 20_000)
    async with shop.uow() as uow:  # an order's effect on stock and sales, 10,000 of iPhone 14 Pro Max
        await uow.stock.take(2, 10_000)
        await uow.stock.add_product_sales({2: 10_000})
        await uow.commit()
    assert await found(shop, "手机") == PHONES  # ranked by the sales it was indexed with
    assert await shop.search_admin().follow_sales() == 1
    assert await found(shop, "手机") == [3, 23, 6, 4, 2, 5, 1]
    assert await shop.search_admin().follow_sales() == 0


# --- the catalogue's changes show at once ----------------------------------------------------


async def test_an_edit_is_found_at_once(shop: Container) -> None:
    admin = shop.catalog_admin()
    assert await found(shop, "便携式") == [11]  # counted and kept for this generation
    await admin.rename_product(11, "蒸汽挂烫机 2024款")
    assert await found(shop, "便携式") == []
    assert await found(shop, "2024款") == [11]


async def test_shelving_shows_at_once(shop: Container) -> None:
    admin = shop.catalog_admin()
    await admin.unshelve(19)
    assert await found(shop, "sony") == []
    await admin.shelve(19)
    assert await found(shop, "sony") == [19]


async def test_a_new_colour_is_found(shop: Container) -> None:
    admin = shop.catalog_admin()
    product = await admin.product(19)
    skus = [SkuSpec(str(s.price.amount), s.stock, s.color, s.size) for s in product.skus]
    assert await found(shop, "午夜蓝") == []
    await admin.update_product(19, product.name, [*skus, SkuSpec("499.00", 3, "午夜蓝", "WH-CH520")])
    assert await found(shop, "午夜蓝") == [19]


async def test_a_renamed_category_is_found_by_its_new_name(shop: Container) -> None:
    headsets = set(await found(shop, "高端耳机"))
    assert headsets == {16, 17, 18, 19, 22}
    assert await found(shop, "发烧") == []
    await shop.catalog_admin().rename_category("headset", "发烧耳机")
    assert set(await found(shop, "发烧")) == headsets
    assert await found(shop, "高端") == []


async def test_imported_products_are_found(shop: Container) -> None:
    spec = ProductSpec("computer", "ThinkPad", "ThinkPad X1 Carbon 2024", [SkuSpec("9999.00", 5)])
    assert await found(shop, "thinkpad") == []
    await shop.catalog_admin().import_products([spec])
    assert await found(shop, "THINKPAD x1") == [25]


async def test_an_alias_added_or_removed_shows_at_once(shop: Container) -> None:
    search = shop.search_admin()
    assert await found(shop, "iron") == []
    assert await search.add_alias("Iron", "熨斗") is True
    assert await search.add_alias("熨斗", "iron") is False  # the same alias, folded and in any order
    assert await found(shop, "iron") == [11]
    assert ("iron", "熨斗") in [(a.word, a.other) for a in await search.aliases()]
    assert await search.remove_alias("熨斗", "IRON") is True
    assert await found(shop, "iron") == []
    assert await search.remove_alias("熨斗", "iron") is False


async def test_reindex_keeps_the_answers(shop: Container) -> None:
    before = [await found(shop, text) for text in ("华为", "手机", "sony")]
    assert await shop.search_admin().reindex(missing_only=True) == 0
    progress: list[int] = []
    assert await shop.search_admin().reindex(progress.append) == 24
    assert sum(progress) == 24
    assert [await found(shop, text) for text in ("华为", "手机", "sony")] == before


# --- suggestions -----------------------------------------------------------------------------


async def test_suggestions_complete_a_word_being_typed(shop: Container) -> None:
    suggest = shop.search().suggest
    mac = await suggest("mac")
    assert [(s.kind, s.text, s.product_id) for s in mac] == [
        ("line", "MacBook笔记本电脑", None),
        ("product", "【标配】2023款MacBook Pro14英寸 笔记本电脑", 20),
    ]
    assert await suggest("mac ") == []  # a finished word: no product holds the word "mac"
    assert await suggest("m") == []  # too short to complete
    assert [s.text for s in await suggest("sen")][:1] == ["森海塞尔耳机"]
    assert await suggest("zzqx") == []


async def test_suggestions_offer_lines_then_products(shop: Container) -> None:
    offered = await shop.search().suggest("华为")
    lines = [s.text for s in offered if s.kind == "line"]
    products = [s.product_id for s in offered if s.kind == "product"]
    assert lines == ["MateBook笔记本电脑", "华为Mate 40 Pro", "华为蓝牙耳机", "华为 nova 11"]
    assert products == [12, 23, 16, 6]
    assert len(offered) == 8
