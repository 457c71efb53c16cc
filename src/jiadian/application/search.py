"""Search: the shopper's (products matching a query, suggestions while typing) and the operator's
(brand aliases, rebuilding the index, keeping its ranking sales moving).

The rules are in `jiadian.domain.search`. The index lives in the database, shared by every process; the
catalogue's use cases refresh a product's entry in the transaction that changes it (`CatalogAdmin`), so a
change shows at once, and answers cached per catalogue generation move on with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from jiadian.application.catalog import Catalog, ProductCard, catalogue_changed
from jiadian.application.pagination import Page, clamp_page
from jiadian.application.ports import Cache
from jiadian.application.search_ports import Analyzer, NamesRow, SearchQueries, Terms
from jiadian.application.unit_of_work import UnitOfWorkFactory
from jiadian.domain.audit import SYSTEM, Actor, target
from jiadian.domain.catalog import SortKey
from jiadian.domain.errors import ValidationFailed
from jiadian.domain.search import SUGGESTIONS, Alias, check_query

MAX_WORDS = 8  # words of a query that count; more only narrow what is already narrow
COMPLETIONS = 8  # indexed words a word being typed may become
SUGGESTED_LINES = 4  # of the SUGGESTIONS, at most this many are product lines
MIN_PREFIX = 2  # a Latin word being typed is completed from this many characters on
BATCH = 500  # products per statement batch when (re)indexing


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A product line's name (searching it finds the line) or a product's (its page)."""

    text: str
    kind: str  # "line" | "product"
    product_id: int | None = None


@dataclass(frozen=True)
class Search:
    """The shopper's search. Counts and suggestions are kept per catalogue generation in this process
    (and, for two-word queries, how many products hold each word at each weight, which lets a page of the
    best matches be walked instead of intersecting every posting); a page of results costs one statement
    (one more for the count, and one for the postings, when the generation moved)."""

    catalog: Catalog
    queries: SearchQueries
    analyzer: Analyzer
    ttl: int = 60

    def terms(self, text: str) -> Terms:
        """The query's words (checked: not empty, not over-long); no words for punctuation alone."""
        return Terms(tuple(self.analyzer.query_terms(check_query(text))[:MAX_WORDS]))

    async def products(
        self, text: str, page: int, page_size: int, sort: SortKey | None = None
    ) -> Page[ProductCard]:
        """Products holding every word of the query: best match first, or in a list order (`sort`)."""
        self.catalog.check_page_size(page_size)
        terms = self.terms(text)
        total = await self._count(terms) if terms else 0
        request = clamp_page(page, page_size, total)
        if not total:
            return Page([], request.page, page_size, 0)
        listed = await self.catalog.listed_count() if sort is not None else total
        postings = await self._postings(terms) if sort is None and len(terms.words) == 2 else None
        rows = await self.queries.page(
            terms, sort, request.offset, page_size, total=total, listed=listed, postings=postings
        )
        return Page([self.catalog.card(r) for r in rows], request.page, page_size, total)

    async def _postings(self, terms: Terms) -> dict[tuple[str, int], int]:
        """How many products hold each word at each weight: kept like the count (per generation)."""
        key = f"catalog:{await self.catalog.generation()}:search-postings:{' '.join(terms.words)}"

        async def read() -> list[tuple[str, int, int]]:
            found = await self.queries.postings(terms.words)
            return [(word, weight, count) for (word, weight), count in sorted(found.items())]

        kept = await self.catalog.kept(
            self.catalog.near_cache, key, list[tuple[str, int, int]], read, self.ttl
        )
        return {(word, weight): count for word, weight, count in kept}

    async def _count(self, terms: Terms) -> int:
        key = f"catalog:{await self.catalog.generation()}:search-count:{terms.key}"
        return await self.catalog.kept(
            self.catalog.near_cache, key, int, lambda: self.queries.count(terms), self.ttl
        )

    async def suggest(self, text: str) -> list[Suggestion]:
        """Names to offer while the shopper types: the product lines of the best matches, then products.

        A Latin word at the end of the text (no space after it) is taken as still being typed: it
        stands for any indexed word it begins (``mac`` → ``macbook``)."""
        query = check_query(text)
        words = self.analyzer.query_terms(query)[:MAX_WORDS]
        key = f"catalog:{await self.catalog.generation()}:suggest:{' '.join(words)}"
        typing = bool(words) and words[-1].isascii() and text[-1:].isalnum()
        if typing:
            key += "…"

        async def compute() -> list[Suggestion]:
            terms = await self._typed(words) if typing else Terms(tuple(words))
            return _suggestions(await self.queries.best(terms, SUGGESTIONS)) if terms else []

        return await self.catalog.kept(self.catalog.near_cache, key, list[Suggestion], compute, self.ttl)

    async def _typed(self, words: list[str]) -> Terms:
        *done, last = words
        if len(last) < MIN_PREFIX:
            return Terms(tuple(done))
        completions = await self.queries.completions(last, COMPLETIONS)
        return Terms(tuple(done), tuple(completions)) if completions else Terms(())


def _suggestions(rows: list[NamesRow]) -> list[Suggestion]:
    lines = list(dict.fromkeys(r.spu for r in rows))[:SUGGESTED_LINES]
    products = [Suggestion(r.name, "product", r.product_id) for r in rows if r.name not in lines]
    return [Suggestion(line, "line") for line in lines] + products[: SUGGESTIONS - len(lines)]


@dataclass(frozen=True)
class SearchAdmin:
    """The operator's side: brand aliases, rebuilding the index, and keeping its ranking sales moving."""

    uow: UnitOfWorkFactory
    cache: Cache
    analyzer: Analyzer
    near: Cache | None = None  # this process's (`Catalog.near`): its copy of the generation goes at once

    async def aliases(self) -> list[Alias]:
        async with self.uow() as uow:
            return await uow.search.aliases()

    async def add_alias(self, word: str, other: str, *, by: Actor = SYSTEM) -> bool:
        """Make two words mean the same (both ways); False when they did already. Products holding
        either are indexed again in the same transaction (and the change is in the audit log)."""
        return await self._change_alias(Alias.of(word, other), adding=True, by=by)

    async def remove_alias(self, word: str, other: str, *, by: Actor = SYSTEM) -> bool:
        """False when there was no such alias."""
        return await self._change_alias(Alias.of(word, other), adding=False, by=by)

    async def _change_alias(self, alias: Alias, *, adding: bool, by: Actor) -> bool:
        sides = [self.analyzer.query_terms(side) for side in (alias.word, alias.other)]
        if not all(sides):
            raise ValidationFailed("别名必须含有文字或数字", word=alias.word, other=alias.other)
        async with self.uow() as uow:
            changed = await (uow.search.add_alias(alias) if adding else uow.search.remove_alias(alias))
            if not changed:
                return False
            holding = {p for words in sides for p in await uow.search.holding(words)}
            await uow.search.refresh(holding)
            pair = {"alias": f"{alias.word} = {alias.other}"}
            await uow.audit.record(
                by,
                "alias.add" if adding else "alias.remove",
                target("alias", alias.word),
                None if adding else pair,
                pair if adding else None,
            )
            await uow.commit()
        await catalogue_changed(self.cache, self.near)
        return True

    async def reindex(
        self, progress: Callable[[int], None] = lambda _n: None, *, missing_only: bool = False
    ) -> int:
        """Index every product again (or only those never indexed), a batch per transaction; how many."""
        done, after = 0, 0
        while True:
            async with self.uow() as uow:
                batch = await uow.search.products_after(after, BATCH, unindexed_only=missing_only)
                if not batch:
                    break
                await uow.search.refresh(batch)
                await uow.commit()
            done, after = done + len(batch), batch[-1]
            progress(len(batch))
        if done:
            await catalogue_changed(self.cache, self.near)
        return done

    async def product_count(self) -> int:
        async with self.uow() as uow:
            return await uow.catalog.count_products()

    async def follow_sales(self, max_batches: int = 20) -> int:
        """Index again the products whose sales moved since (periodic: the ranking's sales follow the
        orders within a sweep); how many."""
        done = 0
        for _ in range(max_batches):
            async with self.uow() as uow:
                moved = await uow.search.moved_sales(BATCH)
                if not moved:
                    break
                await uow.search.refresh(moved)
                await uow.commit()
            done += len(moved)
        return done
