"""Live values of products kept a moment, in this process (the embedded default's `LiveCache`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from jiadian.application.catalog_ports import LiveDetail


class MemoryLiveCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """`clock`: seconds, monotonic (a test may turn it by hand)."""
        self._clock = clock
        self._blocks: dict[tuple[int, int], tuple[float, dict[int, LiveDetail]]] = {}

    async def read(self, generation: int, wanted: dict[int, list[int]]) -> dict[int, dict[int, LiveDetail]]:
        now = self._clock()
        found: dict[int, dict[int, LiveDetail]] = {}
        for block, product_ids in wanted.items():
            kept = self._blocks.get((generation, block))
            if kept is None or kept[0] <= now:
                continue
            found[block] = {i: kept[1][i] for i in product_ids if i in kept[1]}
        return found

    async def keep(self, generation: int, blocks: dict[int, dict[int, LiveDetail]], ttl_ms: int) -> None:
        now = self._clock()
        self._blocks = {key: kept for key, kept in self._blocks.items() if kept[0] > now}  # expired ones go
        for block, values in blocks.items():
            self._blocks[generation, block] = (now + ttl_ms / 1000, dict(values))
