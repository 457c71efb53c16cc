"""Live values — stock, sales, prices and review summaries — as product pages, carts and the checkout
preview show them: up to a second old, shared by every process, read from the database once per block.

They move with every order, so showing them straight from the database would cost a statement per view.
Instead they are kept in a `LiveCache` for `max_age_ms` (1 s by default) in blocks of `BLOCK` consecutive
product ids, per catalogue generation (an operator's write is read afresh at once). A view reads its
blocks from the shared store in one round trip; the blocks that are not kept are read from the database
in one statement — once per process however many ask at once — and kept for everyone. Blocks, not single
products: a spread of views over a large catalogue would otherwise find nearly every product's entry
expired. A view that misses more than `MAX_BLOCKS_READ` blocks (a long cart of unrelated products) reads
only its own products' values, in one statement, and keeps nothing: a block's read costs the rows of its
`BLOCK` products.

So a page, a cart line or a preview may show stock and prices up to `max_age_ms` old. Placing an order
never reads them: it takes stock in its own transaction, which refuses (409) what is no longer there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from jiadian.application.catalog_ports import CatalogQueries, LiveCache, LiveDetail
from jiadian.application.single_flight import SingleFlight

BLOCK = 32  # product ids per kept block
MAX_BLOCKS_READ = 4  # a view that misses more blocks reads only its own products' values (not kept)


@dataclass(frozen=True)
class LiveValues:
    queries: CatalogQueries
    cache: LiveCache
    max_age_ms: int = 1000  # 0: every read goes to the database
    _flights: SingleFlight = field(default_factory=SingleFlight, init=False, repr=False, compare=False)

    async def of(self, product_ids: Iterable[int], generation: int) -> dict[int, LiveDetail]:
        """The live values of these products (those unknown, off shelf or without skus are absent)."""
        wanted: dict[int, list[int]] = {}
        for product_id in set(product_ids):
            wanted.setdefault(product_id // BLOCK, []).append(product_id)
        if not wanted:
            return {}
        kept = await self.cache.read(generation, wanted) if self.max_age_ms > 0 else {}
        missing = sorted(block for block in wanted if block not in kept)
        if len(missing) > MAX_BLOCKS_READ:
            ids = sorted(i for block in missing for i in wanted[block])
            own = await self.queries.live_products([(i, i) for i in ids])
            for block in missing:
                kept[block] = {i: own[i] for i in wanted[block] if i in own}
        elif missing:
            kept.update(await self._read(generation, missing))
        found: dict[int, LiveDetail] = {}
        for block, ids in wanted.items():
            values = kept.get(block, {})
            found.update({i: values[i] for i in ids if i in values})
        return found

    async def _read(self, generation: int, blocks: list[int]) -> dict[int, dict[int, LiveDetail]]:
        """These blocks from the database, in one statement, and kept (once per process at a time)."""

        async def read() -> dict[int, dict[int, LiveDetail]]:
            values = await self.queries.live_products([(b * BLOCK, b * BLOCK + BLOCK - 1) for b in blocks])
            read: dict[int, dict[int, LiveDetail]] = {block: {} for block in blocks}
            for product_id, live in values.items():
                read[product_id // BLOCK][product_id] = live
            if self.max_age_ms > 0:
                await self.cache.keep(generation, read, self.max_age_ms)
            return read

        return await self._flights.run(f"live:{generation}:{','.join(map(str, blocks))}", read)
