"""Search's rules without a database: the analyzer's terms, aliases, and the use cases on memory."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from tests.catalog_support import PRODUCTS, given_shop, ids

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.search.analyzer import MAX_TERM, shared_analyzer
from jiadian.application.catalog_ports import CardRow
from jiadian.application.search import MAX_WORDS, Search
from jiadian.application.search_ports import NamesRow, SearchQueries, Terms
from jiadian.container import Container
from jiadian.domain.catalog import SortKey
from jiadian.domain.errors import ValidationFailed
from jiadian.domain.search import MAX_ALIAS, Alias, Weight, check_query, searchable_fields

analyzer = shared_analyzer()


# --- the analyzer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("华为手机", ["华为", "手机"]),
        ("iPhone 14 Pro", ["iphone", "14", "pro"]),
        ("Mate40Pro", ["mate", "40", "pro"]),  # letters and digits part
        ("ＳＯＮＹ耳机", ["sony", "耳机"]),  # full width folded
        ("WH-CH520", ["wh", "ch", "520"]),
        ("华为的手机", ["华为", "手机"]),  # a stop word
        ("50% 省电", ["50", "省", "电"]),  # a word jieba does not know: its characters
        ("%_'\"--;", []),  # punctuation is no word
        ("pro PRO Pro", ["pro"]),  # each once
        ("笔记本电脑", ["笔记本电脑"]),  # a query keeps jieba's precise words
        ("一加手机", ["一加", "手机"]),  # a word the shop adds to jieba's dictionary
    ],
)
def test_query_terms(text: str, terms: list[str]) -> None:
    assert analyzer.query_terms(text) == terms


def test_a_document_also_holds_the_words_inside_words_and_every_character() -> None:
    terms = analyzer.document_terms("联想笔记本电脑")
    assert {"联想", "笔记本电脑", "笔记本", "电脑", "联", "想", "笔", "记", "本", "电", "脑"} <= terms
    assert "的" not in analyzer.document_terms("华为的手机")


def test_a_long_latin_word_is_cut_the_same_on_both_sides() -> None:
    word = "x" * (MAX_TERM + 10)
    assert analyzer.query_terms(word) == ["x" * MAX_TERM]
    assert analyzer.document_terms(word) == {"x" * MAX_TERM}


def test_a_term_weighs_as_the_best_field_holding_it() -> None:
    fields = searchable_fields("华为 Mate 40", "华为手机", "全新手机", "智能设备", ["黑色", "8G"])
    weights = analyzer.weighted_terms(fields)
    assert weights["华为"] == Weight.NAME
    assert weights["手机"] == Weight.SPU
    assert (weights["智能"], weights["黑色"], weights["8"]) == (Weight.OTHER, Weight.OTHER, Weight.OTHER)


def test_aliases_add_the_other_side_until_nothing_more_comes() -> None:
    aliases = analyzer.alias_terms([Alias.of("matebook", "华为笔记本"), Alias.of("huawei", "华为")])
    weights = analyzer.weighted_terms([("MateBook D14", Weight.NAME)], aliases)
    assert weights["华为"] == weights["笔记本"] == weights["huawei"] == Weight.NAME  # huawei through 华为
    plain = analyzer.weighted_terms([("MateBook D14", Weight.NAME)])
    assert "huawei" not in plain


# --- rules -----------------------------------------------------------------------------------


def test_an_alias_is_folded_trimmed_and_ordered() -> None:
    assert Alias.of(" Huawei ", "华为") == Alias.of("华为", "ＨＵＡＷＥＩ") == Alias("huawei", "华为")


@pytest.mark.parametrize(
    ("word", "other"), [("sony", "SONY"), ("", "索尼"), ("sony", "  "), ("x" * (MAX_ALIAS + 1), "y")]
)
def test_a_bad_alias_is_refused(word: str, other: str) -> None:
    with pytest.raises(ValidationFailed):
        Alias.of(word, other)


def test_a_query_is_trimmed_and_bounded() -> None:
    assert check_query("  华为  ") == "华为"
    for bad in ("", " \t ", "x" * 101):
        with pytest.raises(ValidationFailed):
            check_query(bad)


# --- the use cases on memory -----------------------------------------------------------------


@dataclass
class CountingQueries:
    """The memory queries, counting what reaches them."""

    inner: SearchQueries
    counts: list[Terms] = field(default_factory=list)
    best_calls: int = 0
    postings_calls: int = 0

    async def count(self, terms: Terms) -> int:
        self.counts.append(terms)
        return await self.inner.count(terms)

    async def postings(self, words: tuple[str, ...]) -> dict[tuple[str, int], int]:
        self.postings_calls += 1
        return await self.inner.postings(words)

    async def page(
        self,
        terms: Terms,
        sort: SortKey | None,
        offset: int,
        limit: int,
        *,
        total: int,
        listed: int,
        postings: dict[tuple[str, int], int] | None = None,
    ) -> list[CardRow]:
        return await self.inner.page(
            terms, sort, offset, limit, total=total, listed=listed, postings=postings
        )

    async def best(self, terms: Terms, limit: int) -> list[NamesRow]:
        self.best_calls += 1
        return await self.inner.best(terms, limit)

    async def completions(self, prefix: str, limit: int) -> list[str]:
        return await self.inner.completions(prefix, limit)


@pytest.fixture
async def shop(memory: tuple[Container, MemoryState], clock: FixedClock) -> Container:
    container, _state = memory
    await given_shop(container.catalog_admin(), clock)
    return container


def counting(shop: Container) -> tuple[Search, CountingQueries]:
    queries = CountingQueries(shop.search_queries())
    return Search(shop.catalog(), queries, shop.analyzer()), queries


async def test_counts_and_suggestions_are_kept_per_generation(shop: Container) -> None:
    search, queries = counting(shop)
    for text in ("pro", "PRO", " Pro "):
        assert ids((await search.products(text, 1, 8)).items) == [3, 1, 2, 4, 8]
    assert len(queries.counts) == 1  # the same words: counted once
    await search.suggest("iph")
    await search.suggest("iph")
    assert queries.best_calls == 1
    await shop.catalog_admin().rename_product(8, "MacBook Air 13")
    assert ids((await search.products("pro", 1, 8)).items) == [3, 1, 2, 4]
    await search.suggest("iph")
    assert (len(queries.counts), queries.best_calls) == (2, 2)


async def test_two_words_postings_are_read_once_per_generation_and_only_for_them(shop: Container) -> None:
    search, queries = counting(shop)
    await search.products("pro", 1, 8)
    await search.products("iphone pro", 1, 8, SortKey.PRICE)  # a picked sort: not walked
    assert queries.postings_calls == 0
    for page in (1, 2, 1):
        await search.products("iPhone pro", page, 2)
    assert queries.postings_calls == 1
    await shop.catalog_admin().rename_product(8, "MacBook Air 13")
    await search.products("iphone pro", 1, 2)
    assert queries.postings_calls == 2


async def test_only_the_first_words_of_a_long_query_count(shop: Container) -> None:
    search, queries = counting(shop)
    words = ["iphone", "14", "pro", "max", "iphone", "12g", "256g", "黑色", "不存在", "也不存在"]
    page = await search.products(" ".join(words), 1, 8)
    assert len(queries.counts[0].words) == MAX_WORDS
    assert ids(page.items) == [2]  # the 9th word on would find nothing


async def test_punctuation_alone_reaches_no_index(shop: Container) -> None:
    search, queries = counting(shop)
    page = await search.products("%%%", 1, 8)
    assert (page.items, page.total) == ([], 0)
    assert await search.suggest("+++") == []
    assert (queries.counts, queries.best_calls) == ([], 0)


async def test_an_alias_must_hold_words(shop: Container) -> None:
    with pytest.raises(ValidationFailed):
        await shop.search_admin().add_alias("%%", "华为")
    assert await shop.search_admin().aliases() == []


async def test_reindex_of_missing_products_only(
    shop: Container, memory: tuple[Container, MemoryState]
) -> None:
    _container, state = memory
    admin = shop.search_admin()
    assert await admin.reindex(missing_only=True) == 0
    del state.table("search_documents")[3]  # as if product 3 had been written by hand
    assert await shop.search().products("oppo", 1, 8) == await shop.search().products("zzz", 1, 8)
    assert await admin.reindex(missing_only=True) == 1
    assert ids((await shop.search().products("oppo", 1, 8)).items) == [3]
    assert await admin.reindex() == len(PRODUCTS)
