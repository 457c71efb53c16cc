"""Live values — stock, sales, prices and review summaries — as product pages, carts and the checkout
preview show them: shared by every process, read from the database once per product and then kept
until something moves them.

They move with orders, so showing them straight from the database would cost a statement per view; a
plain expiry of a second or so would not help either, since evenly spread views over a large catalogue
find nearly every product's values expired. Instead the order use cases tell them (`moved`) after every
transaction that changes a product's stock, sales or reviews: placing, cancelling, expiring and
refunding orders, and reviews. Values nobody moved are kept for `keep_ms` (5 minutes by default); a
move shortens what is kept of that product to `max_age_ms` (1 s by default) — a product selling many
times a second is read at most about once a second, and never shown more than that behind its orders.
A read that raced a move keeps what it read only for `max_age_ms` (see `LiveCache`). An operator's write
starts a new catalogue generation, which reads everything afresh at once.

What is not seen: a move whose process died between its commit and the call, or while the shared cache
did not answer. Then a page may lag for up to `keep_ms`. Placing an order never reads these values: it
takes stock in its own transaction, which refuses (409) what is no longer there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from jiadian.application.catalog_ports import CatalogQueries, LiveCache, LiveDetail
from jiadian.application.single_flight import SingleFlight

T = TypeVar("T")


def id_ranges(ids: list[int]) -> list[tuple[int, int]]:
    """Sorted distinct ids as runs of consecutive ids: [1, 2, 3, 7] → [(1, 3), (7, 7)]."""
    ranges: list[tuple[int, int]] = []
    for i in ids:
        if ranges and ranges[-1][1] == i - 1:
            ranges[-1] = (ranges[-1][0], i)
        else:
            ranges.append((i, i))
    return ranges


@dataclass(frozen=True)
class LiveValues:
    queries: CatalogQueries
    cache: LiveCache
    max_age_ms: int = 1000  # how far behind its moves a kept value may be; 0: every read goes to the database
    keep_ms: int = 300_000  # how long values nobody moved are kept
    _flights: SingleFlight = field(default_factory=SingleFlight, init=False, repr=False, compare=False)

    async def of(self, product_ids: Iterable[int], generation: int) -> dict[int, LiveDetail]:
        """The live values of these products (those unknown, off shelf or without skus are absent)."""
        ids = sorted(set(product_ids))
        if not ids:
            return {}
        if self.max_age_ms <= 0:
            return await self.queries.live_products(id_ranges(ids))
        kept = await self.cache.read(generation, ids)
        values = dict(kept.values)
        missing = [i for i in ids if i not in values]
        if missing:
            values.update(await self._read(generation, missing, kept.moves))
        return {i: live for i, live in values.items() if live is not None}

    async def _read(
        self, generation: int, ids: list[int], moves: dict[int, int]
    ) -> dict[int, LiveDetail | None]:
        """These products' values from the database, in one statement, and kept (once per process at a
        time for the same products)."""

        async def read() -> dict[int, LiveDetail | None]:
            found = await self.queries.live_products(id_ranges(ids))
            values: dict[int, LiveDetail | None] = {i: found.get(i) for i in ids}
            await self._keep(generation, values, moves)
            return values

        return await self._flights.run(f"live:{generation}:{','.join(map(str, ids))}", read)

    async def read_with(
        self, generation: int, product_id: int, read: Callable[[], Awaitable[tuple[T, LiveDetail | None]]]
    ) -> T:
        """`read`'s result, when it reads this product's live values from the database among the rest
        (a product page rendered): those values kept as `of` keeps them, so the next view reads none."""
        if self.max_age_ms <= 0:
            return (await read())[0]
        seen = await self.cache.read(generation, [product_id])
        result, live = await read()
        if product_id not in seen.values:
            await self._keep(generation, {product_id: live}, seen.moves)
        return result

    async def _keep(
        self, generation: int, values: dict[int, LiveDetail | None], moves: dict[int, int]
    ) -> None:
        await self.cache.keep(generation, values, moves, keep_ms=self.keep_ms, max_age_ms=self.max_age_ms)

    async def moved(self, product_ids: Iterable[int]) -> None:
        """These products' stock, sales or reviews changed (committed): what is kept of them lags no more
        than `max_age_ms` from now."""
        ids = sorted(set(product_ids))
        if ids and self.max_age_ms > 0:
            await self.cache.moved(ids, self.max_age_ms)
