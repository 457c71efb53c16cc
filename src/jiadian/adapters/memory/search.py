"""The search index in memory: the same postings, rules and answers as the SQL adapter, for tests and
experiments (it runs the same analyzer)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from jiadian.adapters.memory.catalog import CATEGORIES, PRODUCTS, SKUS, SPUS, MemoryCatalogQueries, in_order
from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.search.analyzer import Analyzer
from jiadian.application.catalog_ports import CardRow
from jiadian.application.search_ports import NamesRow, Terms
from jiadian.domain.catalog import SortKey
from jiadian.domain.search import Alias, searchable_fields

DOCUMENTS, ALIASES = "search_documents", "search_aliases"


@dataclass(frozen=True, slots=True)
class Document:
    """What the index holds of a product: its terms with their weights (none when it is not listed) and
    the sales it ranks by. Immutable: a unit of work's snapshot shares it instead of copying it."""

    weights: dict[str, int]
    sales: int

    def __deepcopy__(self, _memo: object) -> Document:
        return self


def _ranked(state: MemoryState, terms: Terms) -> list[tuple[int, int, int]]:
    """(score, sales, product_id) of the matches, best first."""
    documents: dict[int, Document] = state.table(DOCUMENTS)
    rows = []
    for product_id, document in documents.items():
        weights = document.weights
        if any(word not in weights for word in terms.words):
            continue
        score = sum(weights[word] for word in terms.words)
        if terms.any_of:
            held = [weights[word] for word in terms.any_of if word in weights]
            if not held:
                continue
            score += max(held)
        rows.append((score, document.sales, product_id))
    return sorted(rows, reverse=True)


class MemorySearchQueries:
    def __init__(self, state: MemoryState) -> None:
        self._s = state
        self._catalog = MemoryCatalogQueries(state)

    async def count(self, terms: Terms) -> int:
        return len(_ranked(self._s, terms))

    async def postings(self, words: tuple[str, ...]) -> dict[tuple[str, int], int]:
        documents: dict[int, Document] = self._s.table(DOCUMENTS)
        counts: dict[tuple[str, int], int] = {}
        for document in documents.values():
            for word in words:
                weight = document.weights.get(word)
                if weight is not None:
                    counts[word, weight] = counts.get((word, weight), 0) + 1
        return counts

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
        ids = [product_id for _score, _sales, product_id in _ranked(self._s, terms)]
        if sort is None:
            return await self._catalog.cards(ids[offset : offset + limit])
        matching = set(ids)
        found = [(p, c) for p, c in self._catalog.listed() if p.id in matching]
        return [card for _p, card in in_order(found, sort)[offset : offset + limit]]

    async def best(self, terms: Terms, limit: int) -> list[NamesRow]:
        rows = []
        for _score, _sales, product_id in _ranked(self._s, terms)[:limit]:
            product = self._s.table(PRODUCTS)[product_id]
            rows.append(NamesRow(product_id, product.name, self._s.table(SPUS)[product.spu_id].name))
        return rows

    async def completions(self, prefix: str, limit: int) -> list[str]:
        documents: dict[int, Document] = self._s.table(DOCUMENTS)
        held = {term for document in documents.values() for term in document.weights}
        return sorted(t for t in held if t.startswith(prefix))[:limit]


class MemorySearchIndex:
    def __init__(self, state: MemoryState, analyzer: Analyzer) -> None:
        self._s = state
        self._analyzer = analyzer

    async def refresh(self, product_ids: Collection[int]) -> None:
        aliases = self._analyzer.alias_terms(await self.aliases())
        documents: dict[int, Document] = self._s.table(DOCUMENTS)
        for product_id in set(product_ids):
            documents.pop(product_id, None)
            product = self._s.table(PRODUCTS).get(product_id)
            if product is None:
                continue
            skus = sorted(
                (s for s in self._s.table(SKUS).values() if s.product_id == product_id), key=lambda s: s.id
            )
            sales = sum(s.sales for s in skus)
            weights: dict[str, int] = {}
            if product.on_shelf and skus:
                spu = self._s.table(SPUS)[product.spu_id]
                category = self._s.table(CATEGORIES)[product.category_id]
                specs = [spec for s in skus for spec in (s.color, s.size)]
                fields = searchable_fields(product.name, spu.name, spu.detail, category.name, specs)
                weights = self._analyzer.weighted_terms(fields, aliases)
            documents[product_id] = Document(weights, sales)

    async def refresh_category(self, category_id: int) -> int:
        ids = [p.id for p in self._s.table(PRODUCTS).values() if p.category_id == category_id]
        await self.refresh(ids)
        return len(ids)

    async def products_after(self, after_id: int, limit: int, *, unindexed_only: bool = False) -> list[int]:
        indexed = self._s.table(DOCUMENTS)
        ids = (p for p in sorted(self._s.table(PRODUCTS)) if p > after_id)
        return [p for p in ids if not (unindexed_only and p in indexed)][:limit]

    async def moved_sales(self, limit: int) -> list[int]:
        documents: dict[int, Document] = self._s.table(DOCUMENTS)
        moved = []
        for product_id, document in sorted(documents.items()):
            sales = sum(s.sales for s in self._s.table(SKUS).values() if s.product_id == product_id)
            if sales != document.sales:
                moved.append(product_id)
        return moved[:limit]

    async def holding(self, words: Sequence[str]) -> list[int]:
        return sorted(product_id for _score, _sales, product_id in _ranked(self._s, Terms(tuple(words))))

    async def aliases(self) -> list[Alias]:
        return sorted(self._s.table(ALIASES).values(), key=lambda a: (a.word, a.other))

    async def add_alias(self, alias: Alias) -> bool:
        table = self._s.table(ALIASES)
        if (alias.word, alias.other) in table:
            return False
        table[alias.word, alias.other] = alias
        return True

    async def remove_alias(self, alias: Alias) -> bool:
        return self._s.table(ALIASES).pop((alias.word, alias.other), None) is not None
