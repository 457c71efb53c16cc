"""Live values of products kept in Redis, shared by every process (`LiveCache`).

A product's values are one string, `jiadian:live:{product_id}` = `{generation}|{values}` with the values
as compact JSON — `[[[sku_id, "price", stock, sales], ...], [reviews, "average score", "satisfaction"]]`
— or nothing after the `|` for a product kept as having none. A value of another generation reads as not
kept. Its move count is `jiadian:live:m:{product_id}` (an integer, gone after a day without moves).

Reading any number of products is one MGET of their values, and one of the move counts of those not
kept (read before the database is, see `LiveCache.keep`). Keeping and telling moves are one Lua script
each, so a move count is compared (or raised) and the value kept (or its expiry shortened) at once.

It fails soft, like the catalogue's cache: Redis not answering reads as nothing kept (the caller reads
the database) and keeps nothing; one warning per `rest_seconds`.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from jiadian.application.catalog_ports import LiveDetail, LiveKept, SkuState
from jiadian.domain.money import Money
from jiadian.domain.reviews import ReviewSummary

log = logging.getLogger("jiadian.cache")
PREFIX = "jiadian:live:"
MOVES_KEPT_MS = 24 * 3600 * 1000  # longer than any value is kept (`keep_ms`)

# KEYS: value, moves, value, moves, ...; ARGV: keep_ms, max_age_ms, then per product its move count as
# read and its value.
_KEEP = """
local keep_ms, max_age_ms = ARGV[1], ARGV[2]
for i = 1, #KEYS, 2 do
  local n = i + 2
  local ttl = max_age_ms
  if (redis.call('GET', KEYS[i + 1]) or '0') == ARGV[n] then ttl = keep_ms end
  redis.call('SET', KEYS[i], ARGV[n + 1], 'PX', ttl)
end
"""
# KEYS: value, moves, ...; ARGV: max_age_ms, how long a move count lasts.
_MOVED = """
local max_age_ms = tonumber(ARGV[1])
for i = 1, #KEYS, 2 do
  redis.call('INCR', KEYS[i + 1])
  redis.call('PEXPIRE', KEYS[i + 1], ARGV[2])
  if redis.call('PTTL', KEYS[i]) > max_age_ms then redis.call('PEXPIRE', KEYS[i], max_age_ms) end
end
"""


def encode(generation: int, live: LiveDetail | None) -> str:
    if live is None:
        return f"{generation}|"
    skus = [[s.id, str(s.price.amount), s.stock, s.sales] for s in live.skus]
    r = live.reviews
    values = [skus, [r.count, str(r.average_score), str(r.satisfaction)]]
    return f"{generation}|{json.dumps(values, separators=(',', ':'))}"


@functools.lru_cache(maxsize=16_384)
def decode(raw: bytes) -> tuple[int, LiveDetail | None]:
    """A kept value as read (the same bytes decode to the same shared, unchanging object: a product's
    values repeat from view to view until an order moves them)."""
    generation, _, values = raw.decode().partition("|")
    if not values:
        return int(generation), None
    skus, (count, average, satisfaction) = json.loads(values)
    return int(generation), LiveDetail(
        [SkuState(int(i), Money.of(price), int(stock), int(sales)) for i, price, stock, sales in skus],
        ReviewSummary(int(count), Decimal(average), Decimal(satisfaction)),
    )


class RedisLiveCache:
    def __init__(self, redis: Redis, prefix: str = PREFIX, *, rest_seconds: float = 5.0) -> None:
        self._redis = redis
        self._prefix = prefix
        self._rest_seconds = rest_seconds
        self._resting_until = 0.0
        self._keep = redis.register_script(_KEEP)
        self._moved = redis.register_script(_MOVED)

    def _failed(self, action: str, exc: Exception) -> None:
        if time.monotonic() >= self._resting_until:
            log.warning(
                "live values %s failed (%s: %s): reading the database", action, type(exc).__name__, exc
            )
        self._resting_until = time.monotonic() + self._rest_seconds

    def _resting(self) -> bool:
        return time.monotonic() < self._resting_until

    def _keys(self, product_ids: list[int]) -> list[str]:
        """value, moves, value, moves, ... of these products."""
        return [key for i in product_ids for key in (f"{self._prefix}{i}", f"{self._prefix}m:{i}")]

    async def read(self, generation: int, product_ids: list[int]) -> LiveKept:
        if not product_ids or self._resting():
            return LiveKept({}, {})
        values: dict[int, LiveDetail | None] = {}
        try:
            answers: list[Any] = await self._redis.mget([f"{self._prefix}{i}" for i in product_ids])
            for product_id, raw in zip(product_ids, answers, strict=True):
                if raw is not None:
                    kept_generation, live = decode(raw)
                    if kept_generation == generation:
                        values[product_id] = live
            missing = [i for i in product_ids if i not in values]
            counts: list[Any] = (
                await self._redis.mget([f"{self._prefix}m:{i}" for i in missing]) if missing else []
            )
        except RedisError as exc:
            self._failed("read", exc)
            return LiveKept({}, {})
        return LiveKept(values, {i: int(count or 0) for i, count in zip(missing, counts, strict=True)})

    async def keep(
        self,
        generation: int,
        values: dict[int, LiveDetail | None],
        moves: dict[int, int],
        *,
        keep_ms: int,
        max_age_ms: int,
    ) -> None:
        if not values or self._resting():
            return
        ids = list(values)
        args: list[Any] = [keep_ms, max_age_ms]
        for product_id in ids:
            args += [moves.get(product_id, 0), encode(generation, values[product_id])]
        try:
            await self._keep(keys=self._keys(ids), args=args)
        except RedisError as exc:
            self._failed("keep", exc)

    async def moved(self, product_ids: list[int], max_age_ms: int) -> None:
        if not product_ids or self._resting():
            return
        try:
            await self._moved(keys=self._keys(product_ids), args=[max_age_ms, MOVES_KEPT_MS])
        except RedisError as exc:
            self._failed("move", exc)
