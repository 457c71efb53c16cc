"""The search index on SQL, the same on SQLite and MariaDB/MySQL: postings in a table with a covering index.

`search_terms` holds a row per (term, listed product) with the term's weight and the product's sales as
indexed. Its primary key (term, product_id) lists a term's products in id order — a query of several
words joins the words' postings on it —, and `ix_search_terms_rank` (term, weight, sales, product_id)
walks one term's products best first, so the page of a one-word query reads that page's entries and no
more, whatever the size of the catalogue. Documents are analysed here, in Python (jieba, see
`jiadian.adapters.search.analyzer`); the databases only store and intersect terms — InnoDB's FULLTEXT
cannot see words under three characters, and MariaDB has no ngram parser (README, *Search*).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from jiadian.adapters.search.analyzer import Analyzer
from jiadian.adapters.sql.catalog import CARD_COLUMNS, card_row, cards_in_order
from jiadian.adapters.sql.engine import to_db
from jiadian.adapters.sql.tables import (
    categories,
    products,
    search_aliases,
    search_documents,
    search_terms,
    skus,
    spus,
)
from jiadian.application.catalog_ports import CardRow
from jiadian.application.ports import Clock
from jiadian.application.search_ports import NamesRow, Terms
from jiadian.domain.catalog import SortKey
from jiadian.domain.search import Alias, searchable_fields

T = TypeVar("T")

# A page in a picked list order either gathers every match and sorts them (it costs the postings of the
# rarest word: at least as many as match), or walks the list's own index and checks each product's
# postings (about (offset + page) × listed ÷ matches look-ups). It walks when that is at most this many.
WALK_BUDGET = 2000
BATCH = 500  # products per statement when indexing; postings per DELETE
# A two-word query's page, best first, is gathered by walks of the rank index (`_pair_walks`) when it ends
# within this many matches; a deeper page intersects every posting.
PAIR_WALK = 1000


def _batched(items: Sequence[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# --- statements, built once per shape (number of words, any-of, order) ---------------------------


def _word(i: int) -> Any:
    return search_terms.alias(f"w{i}")


@functools.cache
def _matching(words: int, any_of: bool = False) -> tuple[Select[Any], Any]:
    """(product_id, score, sales) of the products holding words `w0`…, and one of `any_of` when set;
    and the postings the rows come from (the first word's, or the any-of group's)."""
    tables: list[Any] = [_word(i) for i in range(words)]
    if any_of:
        tables.insert(
            0,
            select(
                search_terms.c.product_id,
                func.max(search_terms.c.weight).label("weight"),
                func.max(search_terms.c.sales).label("sales"),
            )
            .where(search_terms.c.term.in_(bindparam("any_of", expanding=True)))
            .group_by(search_terms.c.product_id)
            .subquery("any_of"),
        )
    first, source = tables[0], tables[0]
    for table in tables[1:]:
        source = source.join(table, table.c.product_id == first.c.product_id)
    score = sum((t.c.weight for t in tables[1:]), first.c.weight)
    query = select(first.c.product_id, score.label("score"), first.c.sales.label("sales")).select_from(source)
    return query.where(*(tables[i + any_of].c.term == bindparam(f"w{i}") for i in range(words))), first


def _matches(words: int, any_of: bool = False) -> Select[Any]:
    return _matching(words, any_of)[0]


def _ranked(words: int, any_of: bool = False) -> Select[Any]:
    """The matches best first, a page of them (binds `offset`, `limit`). With one word and nothing
    else, the order is the rank index's own: the page is read from the index alone."""
    query, first = _matching(words, any_of)
    if words == 1 and not any_of:
        keys = (first.c.weight.desc(), first.c.sales.desc(), first.c.product_id.desc())
    else:
        columns = query.selected_columns
        keys = (columns.score.desc(), columns.sales.desc(), columns.product_id.desc())
    return query.order_by(*keys).offset(bindparam("offset")).limit(bindparam("limit"))


@functools.cache
def _relevance_cards(words: int) -> Select[Any]:
    return _cards_of_page(_ranked(words).subquery("page"))


def _cards_of_page(page: Any) -> Select[Any]:
    """The cards of a page of (product_id, score, sales), in its order."""
    return (
        select(*CARD_COLUMNS)
        .select_from(
            page.join(products, products.c.id == page.c.product_id).join(
                categories, categories.c.id == products.c.category_id
            )
        )
        .order_by(page.c.score.desc(), page.c.sales.desc(), page.c.product_id.desc())
        .prefix_with("STRAIGHT_JOIN", dialect="mysql")
    )


@functools.cache
def _pair_walks(walks: int) -> Select[Any]:
    """A page of the matches of two words, best first, gathered by walks (binds `offset`, `limit`, `n`).

    Walk `i` reads the postings of word `d{i}` at weight `dw{i}` in rank order (best sellers first, from
    the rank index) and keeps those whose product holds word `o{i}` at weight `ow{i}` (a primary-key
    look-up each), `n` of them at most: the best `n` matches scoring `s{i}`. Every match is in the walk of
    its pair of weights, and the best `n` of all are among the best `n` of each walk, so the page is the
    same as intersecting every posting — but a walk stops after `n` matches instead of reading them all.
    """
    parts = []
    for i in range(walks):
        d, o = search_terms.alias(f"d{i}"), search_terms.alias(f"o{i}")
        held = and_(
            o.c.term == bindparam(f"o{i}"),
            o.c.product_id == d.c.product_id,
            o.c.weight == bindparam(f"ow{i}"),
        )
        walk = (
            select(d.c.product_id, bindparam(f"s{i}", type_=Integer).label("score"), d.c.sales)
            .select_from(d.join(o, held))
            .where(d.c.term == bindparam(f"d{i}"), d.c.weight == bindparam(f"dw{i}"))
            .order_by(d.c.sales.desc(), d.c.product_id.desc())
            .limit(bindparam("n"))
            .prefix_with("STRAIGHT_JOIN", dialect="mysql")
            .subquery(f"walk{i}")
        )
        parts.append(select(walk.c.product_id, walk.c.score, walk.c.sales))
    matches = (union_all(*parts) if walks > 1 else parts[0]).subquery("matches")
    page = (
        select(matches.c.product_id, matches.c.score, matches.c.sales)
        .order_by(matches.c.score.desc(), matches.c.sales.desc(), matches.c.product_id.desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
        .subquery("page")
    )
    return _cards_of_page(page)


def pair_walks(
    words: tuple[str, ...], postings: dict[tuple[str, int], int]
) -> list[tuple[str, int, str, int]]:
    """The walks of a two-word query: one per pair of weights both words are held at, each from its rarer
    side — (driving word, its weight, the other word, its weight). Their cost together is at most the
    postings of the rarer word, what intersecting them all costs."""
    first, second = words

    def held(word: str) -> list[tuple[int, int]]:
        return sorted((weight, count) for (term, weight), count in postings.items() if term == word)

    walks = []
    for weight, count in held(first):
        for other_weight, other_count in held(second):
            if count <= other_count:
                walks.append((first, weight, second, other_weight))
            else:
                walks.append((second, other_weight, first, weight))
    return walks


@functools.cache
def _sorted_cards(words: int, sort: SortKey, walk: bool) -> Select[Any]:
    """A page in a list order: gather the matches and sort them, or walk the list order and check."""
    listed = (products.c.on_shelf == true(), products.c.first_sku_id.is_not(None))
    if walk:
        source: Any = products
        for i in range(words):
            w = _word(i)
            source = source.join(w, and_(w.c.term == bindparam(f"w{i}"), w.c.product_id == products.c.id))
        ids = (
            select(products.c.id, products.c[sort.column])
            .select_from(source)
            .where(*listed)
            .prefix_with("STRAIGHT_JOIN", dialect="mysql")
        )
    else:
        found = _matches(words).subquery("found")
        ids = select(products.c.id, products.c[sort.column]).select_from(
            found.join(products, products.c.id == found.c.product_id)
        )
    return cards_in_order(ids, sort)


@functools.cache
def _count(words: int) -> Select[Any]:
    return select(func.count()).select_from(_matches(words).subquery("found"))


@functools.cache
def _best_of_completions(completions: int) -> Select[Any]:
    """The best products holding one of `c0`…: each word's best `limit` from its rank index, merged."""
    parts = [
        select(search_terms.c.product_id, search_terms.c.weight, search_terms.c.sales)
        .where(search_terms.c.term == bindparam(f"c{i}"))
        .order_by(search_terms.c.weight.desc(), search_terms.c.sales.desc(), search_terms.c.product_id.desc())
        .limit(bindparam("limit"))
        .subquery(f"c{i}")
        for i in range(completions)
    ]
    merged = union_all(*(select(part) for part in parts)).subquery("merged")
    score = func.max(merged.c.weight).label("score")
    sales = func.max(merged.c.sales).label("sales")
    return (
        select(merged.c.product_id, score, sales)
        .group_by(merged.c.product_id)
        .order_by(score.desc(), sales.desc(), merged.c.product_id.desc())
        .limit(bindparam("limit"))
    )


@functools.cache
def _names(words: int, completions: int) -> Select[Any]:
    ranked = (
        _best_of_completions(completions) if not words else _ranked(words, any_of=completions > 0)
    ).subquery("best")
    return (
        select(ranked.c.product_id, products.c.name, spus.c.name.label("spu"))
        .select_from(
            ranked.join(products, products.c.id == ranked.c.product_id).join(
                spus, spus.c.id == products.c.spu_id
            )
        )
        .order_by(ranked.c.score.desc(), ranked.c.sales.desc(), ranked.c.product_id.desc())
    )


COMPLETIONS: Select[Any] = (
    select(search_terms.c.term)
    .where(search_terms.c.term >= bindparam("prefix"), search_terms.c.term < bindparam("past"))
    .group_by(search_terms.c.term)
    .order_by(search_terms.c.term)
    .limit(bindparam("limit"))
)

# What indexing a product reads: its text, its skus' specs, and what the index held of it.
DOCUMENTS: Select[Any] = (
    select(
        products.c.id,
        products.c.name,
        products.c.on_shelf,
        products.c.first_sku_id,
        products.c.sales,
        spus.c.name.label("spu"),
        spus.c.detail,
        categories.c.name.label("category"),
    )
    .join(spus, spus.c.id == products.c.spu_id)
    .join(categories, categories.c.id == products.c.category_id)
    .where(products.c.id.in_(bindparam("ids", expanding=True)))
)
SPECS: Select[Any] = (
    select(skus.c.product_id, skus.c.color, skus.c.size)
    .where(skus.c.product_id.in_(bindparam("ids", expanding=True)))
    .order_by(skus.c.id)
)
POSTINGS: Select[Any] = (
    select(search_terms.c.term, search_terms.c.weight, func.count().label("n"))
    .where(search_terms.c.term.in_(bindparam("words", expanding=True)))
    .group_by(search_terms.c.term, search_terms.c.weight)
)
INDEXED: Select[Any] = select(search_documents.c.product_id, search_documents.c.terms).where(
    search_documents.c.product_id.in_(bindparam("ids", expanding=True))
)


def _params(terms: Terms, **more: Any) -> dict[str, Any]:
    params: dict[str, Any] = {f"w{i}": word for i, word in enumerate(terms.words)}
    if terms.any_of:
        params["any_of"] = list(terms.any_of)
    return {**params, **more}


# --- the shopper's reads ------------------------------------------------------------------------


class SqlSearchQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def count(self, terms: Terms) -> int:
        async with self._engine.connect() as conn:
            return int((await conn.execute(_count(len(terms.words)), _params(terms))).scalar_one())

    async def postings(self, words: tuple[str, ...]) -> dict[tuple[str, int], int]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(POSTINGS, {"words": list(words)})
            return {(r.term, r.weight): r.n for r in rows}

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
        words = len(terms.words)
        walked = sort is None and words == 2 and not terms.any_of and offset + limit <= PAIR_WALK
        if walked and postings is not None:
            walks = pair_walks(terms.words, postings)
            if not walks:
                return []
            query = _pair_walks(len(walks))
            params: dict[str, Any] = {"offset": offset, "limit": limit, "n": offset + limit}
            for i, (word, weight, other, other_weight) in enumerate(walks):
                params |= {f"d{i}": word, f"dw{i}": weight, f"o{i}": other, f"ow{i}": other_weight}
                params[f"s{i}"] = weight + other_weight
        else:
            if sort is None:
                query = _relevance_cards(words)
            else:
                query = _sorted_cards(words, sort, walk=(offset + limit) * listed <= WALK_BUDGET * total)
            params = _params(terms, offset=offset, limit=limit)
        async with self._engine.connect() as conn:
            rows = await conn.execute(query, params)
            return [card_row(r) for r in rows]

    async def best(self, terms: Terms, limit: int) -> list[NamesRow]:
        params = _params(terms, offset=0, limit=limit)
        if not terms.words:
            params.update({f"c{i}": word for i, word in enumerate(terms.any_of)})
        query = _names(len(terms.words), len(terms.any_of))
        async with self._engine.connect() as conn:
            return [NamesRow(r.product_id, r.name, r.spu) for r in await conn.execute(query, params)]

    async def completions(self, prefix: str, limit: int) -> list[str]:
        params = {"prefix": prefix, "past": prefix + "\U0010ffff", "limit": limit}
        async with self._engine.connect() as conn:
            return list((await conn.execute(COMPLETIONS, params)).scalars())


# --- the index's writes (inside a unit of work) -------------------------------------------------


class SqlSearchIndex:
    def __init__(self, conn: AsyncConnection, analyzer: Analyzer, clock: Clock) -> None:
        self._conn = conn
        self._analyzer = analyzer
        self._clock = clock

    async def refresh(self, product_ids: Collection[int]) -> None:
        ids = sorted(set(product_ids))
        if not ids:
            return
        aliases = self._analyzer.alias_terms(await self.aliases())
        for chunk in _batched(ids, BATCH):
            await self._refresh(chunk, aliases)

    async def _refresh(self, ids: list[int], aliases: list[tuple[list[str], list[str]]]) -> None:
        conn = self._conn
        specs: dict[int, list[str]] = defaultdict(list)
        for row in await conn.execute(SPECS, {"ids": ids}):
            specs[row.product_id] += [row.color, row.size]
        documents, postings = [], []
        for row in await conn.execute(DOCUMENTS, {"ids": ids}):
            weights: dict[str, int] = {}
            if row.on_shelf and row.first_sku_id is not None:
                fields = searchable_fields(row.name, row.spu, row.detail, row.category, specs[row.id])
                weights = self._analyzer.weighted_terms(fields, aliases)
            documents.append({"product_id": row.id, "terms": " ".join(weights), "sales": row.sales})
            postings += [
                {"term": t, "product_id": row.id, "weight": w, "sales": row.sales} for t, w in weights.items()
            ]
        indexed = [(r.product_id, r.terms.split()) for r in await conn.execute(INDEXED, {"ids": ids})]
        old = [(term, product_id) for product_id, terms in indexed for term in terms]
        for part in _batched(old, BATCH):
            key = tuple_(search_terms.c.term, search_terms.c.product_id)
            await conn.execute(delete(search_terms).where(key.in_(part)))
        if indexed:
            stale = [product_id for product_id, _terms in indexed]
            await conn.execute(delete(search_documents).where(search_documents.c.product_id.in_(stale)))
        if documents:
            await conn.execute(insert(search_documents), documents)
        if postings:
            await conn.execute(insert(search_terms), postings)

    async def refresh_category(self, category_id: int) -> int:
        query = select(products.c.id).where(products.c.category_id == category_id)
        ids = list((await self._conn.execute(query)).scalars())
        await self.refresh(ids)
        return len(ids)

    async def products_after(self, after_id: int, limit: int, *, unindexed_only: bool = False) -> list[int]:
        query = select(products.c.id).where(products.c.id > after_id).order_by(products.c.id).limit(limit)
        if unindexed_only:
            query = query.outerjoin(search_documents, search_documents.c.product_id == products.c.id).where(
                search_documents.c.product_id.is_(None)
            )
        return list((await self._conn.execute(query)).scalars())

    async def moved_sales(self, limit: int) -> list[int]:
        query = (
            select(products.c.id)
            .join(search_documents, search_documents.c.product_id == products.c.id)
            .where(products.c.sales != search_documents.c.sales)
            .limit(limit)
        )
        return list((await self._conn.execute(query)).scalars())

    async def holding(self, words: Sequence[str]) -> list[int]:
        found = _matches(len(words)).subquery("found")
        rows = await self._conn.execute(select(found.c.product_id), _params(Terms(tuple(words))))
        return list(rows.scalars())

    async def aliases(self) -> list[Alias]:
        query = select(search_aliases.c.word, search_aliases.c.other).order_by(
            search_aliases.c.word, search_aliases.c.other
        )
        return [Alias(r.word, r.other) for r in await self._conn.execute(query)]

    def _alias(self, alias: Alias) -> Any:
        return and_(search_aliases.c.word == alias.word, search_aliases.c.other == alias.other)

    async def add_alias(self, alias: Alias) -> bool:
        if (await self._conn.execute(select(search_aliases.c.id).where(self._alias(alias)))).first():
            return False
        await self._conn.execute(
            insert(search_aliases).values(
                word=alias.word, other=alias.other, created_at=to_db(self._clock.now())
            )
        )
        return True

    async def remove_alias(self, alias: Alias) -> bool:
        result = await self._conn.execute(delete(search_aliases).where(self._alias(alias)))
        return bool(result.rowcount)
