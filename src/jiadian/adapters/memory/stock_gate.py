"""The stock gate in memory (tests, and the embedded default): {sku_id: tokens}, per process.

Each method runs without an `await` between reading and writing, so on one event loop it is atomic,
like the Lua scripts of `jiadian.adapters.redis.stock_gate` it stands in for.
"""

from __future__ import annotations

from collections.abc import Iterable

from jiadian.domain.errors import InsufficientStock


class MemoryStockGate:
    def __init__(self) -> None:
        self._tokens: dict[int, int] = {}

    async def admit(self, counts: dict[int, int]) -> dict[int, int]:
        gated = {sku_id: counts[sku_id] for sku_id in sorted(counts) if sku_id in self._tokens}
        for sku_id, count in gated.items():
            if self._tokens[sku_id] < count:
                raise InsufficientStock(sku_id, requested=count, available=self._tokens[sku_id])
        for sku_id, count in gated.items():
            self._tokens[sku_id] -= count
        return gated

    async def release(self, held: dict[int, int]) -> None:
        for sku_id, count in held.items():
            if sku_id in self._tokens:
                self._tokens[sku_id] += count

    async def open(self, levels: dict[int, int]) -> None:
        self._tokens.update(levels)

    async def close(self, sku_ids: Iterable[int]) -> list[int]:
        return [sku_id for sku_id in sku_ids if self._tokens.pop(sku_id, None) is not None]

    async def tokens(self) -> dict[int, int]:
        return dict(self._tokens)

    async def sync(self, levels: dict[int, int]) -> dict[int, tuple[int, int]]:
        changes = {}
        for sku_id, stock in levels.items():
            if sku_id in self._tokens:
                changes[sku_id] = (self._tokens[sku_id], stock)
                self._tokens[sku_id] = stock
        return changes
