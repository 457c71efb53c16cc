"""Ports of search: the analyzer that turns text into terms, the shopper's reads over the index, and the
index's writes (inside the catalogue's unit of work, so an edit and its index entry commit together)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from jiadian.application.catalog_ports import CardRow
from jiadian.domain.catalog import SortKey
from jiadian.domain.search import Alias


@dataclass(frozen=True, slots=True)
class Terms:
    """A query as the index sees it: a product matches when it holds every one of `words` and, when
    `any_of` is given, at least one of those too (the completions of a word still being typed)."""

    words: tuple[str, ...]
    any_of: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.any_of)

    @property
    def key(self) -> str:
        """The same for every query with these terms (a cache key)."""
        return " ".join(self.words) + ("|" + " ".join(self.any_of) if self.any_of else "")


@dataclass(frozen=True, slots=True)
class NamesRow:
    """A matching product's names, for suggestions."""

    product_id: int
    name: str
    spu: str


class Analyzer(Protocol):
    """Text into search terms (Chinese word segmentation, Latin words folded)."""

    def query_terms(self, text: str) -> list[str]:
        """The words of a query, in order, each once; none for text of punctuation alone."""
        ...

    def warm(self) -> None:
        """Load what analysing needs (a dictionary), so that the first query does not wait for it."""
        ...


class SearchQueries(Protocol):
    """The shopper's reads. The index is shared by every process; each call costs a fixed number of
    statements. Ranking (relevance): the sum of the matched terms' weights, then sales, then the newest
    id — sales as of the product's last indexing (`SearchIndex.follow_sales` keeps them moving)."""

    async def count(self, terms: Terms) -> int: ...

    async def postings(self, words: tuple[str, ...]) -> dict[tuple[str, int], int]:
        """How many listed products hold each word at each weight ((word, weight) → count; none: absent)."""
        ...

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
        """Cards of the matching products, best match first (`sort` None) or in a list order. `total`
        is `count(terms)`, `listed` the number of listed products and `postings` (when given) the words'
        `postings`, all as of the same catalogue generation: an adapter may use them to choose how to find
        a page (in a list order: sort the matches, or walk the list and check each product; best first:
        walk each pair of weights from its rarer side, or intersect every posting)."""
        ...

    async def best(self, terms: Terms, limit: int) -> list[NamesRow]:
        """The best matches' names (relevance order)."""
        ...

    async def completions(self, prefix: str, limit: int) -> list[str]:
        """Indexed terms that start with `prefix` (a word being typed), at most `limit`."""
        ...


class SearchIndex(Protocol):
    """The index's writes, inside a unit of work (committed with the catalogue change that asks them)."""

    async def refresh(self, product_ids: Collection[int]) -> None:
        """Index these products as they stand now: on shelf with skus, their text's terms (aliases
        applied) and sales; otherwise nothing (they leave the index)."""
        ...

    async def refresh_category(self, category_id: int) -> int:
        """Refresh every product of a category (its name is searchable text); how many."""
        ...

    async def products_after(self, after_id: int, limit: int, *, unindexed_only: bool = False) -> list[int]:
        """Product ids above `after_id`, lowest first, at most `limit` (all products, listed or not; with
        `unindexed_only`, those never indexed) — for a rebuild in batches."""
        ...

    async def moved_sales(self, limit: int) -> list[int]:
        """Up to `limit` products whose sales have changed since they were indexed."""
        ...

    async def holding(self, words: Sequence[str]) -> list[int]:
        """Indexed products holding every one of `words` (aliases included)."""
        ...

    async def aliases(self) -> list[Alias]: ...

    async def add_alias(self, alias: Alias) -> bool:
        """False when it was there already."""
        ...

    async def remove_alias(self, alias: Alias) -> bool:
        """False when there was no such alias."""
        ...
