"""Live values of products kept in this process (the embedded default's `LiveCache`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from jiadian.application.catalog_ports import LiveDetail, LiveKept


class MemoryLiveCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """`clock`: seconds, monotonic (a test may turn it by hand)."""
        self._clock = clock
        self._kept: dict[int, tuple[int, float, LiveDetail | None]] = {}  # id → (generation, until, values)
        self._moves: dict[int, int] = {}
        self._sweep_at = 1024  # how many kept products trigger a sweep of the expired ones

    async def read(self, generation: int, product_ids: list[int]) -> LiveKept:
        now = self._clock()
        values: dict[int, LiveDetail | None] = {}
        for product_id in product_ids:
            kept = self._kept.get(product_id)
            if kept is not None and kept[0] == generation and kept[1] > now:
                values[product_id] = kept[2]
        return LiveKept(values, {i: self._moves.get(i, 0) for i in product_ids if i not in values})

    async def keep(
        self,
        generation: int,
        values: dict[int, LiveDetail | None],
        moves: dict[int, int],
        *,
        keep_ms: int,
        max_age_ms: int,
    ) -> None:
        now = self._clock()
        if len(self._kept) >= self._sweep_at:
            self._kept = {i: kept for i, kept in self._kept.items() if kept[1] > now}
            self._sweep_at = max(1024, 2 * len(self._kept))
        for product_id, live in values.items():
            unmoved = self._moves.get(product_id, 0) == moves.get(product_id, 0)
            self._kept[product_id] = (generation, now + (keep_ms if unmoved else max_age_ms) / 1000, live)

    async def moved(self, product_ids: list[int], max_age_ms: int) -> None:
        until = self._clock() + max_age_ms / 1000
        for product_id in product_ids:
            self._moves[product_id] = self._moves.get(product_id, 0) + 1
            kept = self._kept.get(product_id)
            if kept is not None and kept[1] > until:
                self._kept[product_id] = (kept[0], until, kept[2])
