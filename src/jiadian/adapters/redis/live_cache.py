"""Live values of products kept a moment in Redis, shared by every process (`LiveCache`).

A block is one hash (`jiadian:live:{generation}:{block}`, expiring after the given TTL): a field per product that has
values — `[[sku_id, "price", stock, sales], ...]` and `[reviews, "average score", "satisfaction"]` as
compact JSON — and the field `_`, so a kept block with none of the wanted products is told from a block not
kept. Reading any number of blocks is one pipelined round trip of HMGETs.

It fails soft, like the catalogue's cache: Redis not answering reads as nothing kept (the caller reads
the database) and keeps nothing; one warning per `rest_seconds`.
"""

from __future__ import annotations

import json
import logging
import time
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

from jiadian.application.catalog_ports import LiveDetail, SkuState
from jiadian.domain.money import Money
from jiadian.domain.reviews import ReviewSummary

log = logging.getLogger("jiadian.cache")
PREFIX = "jiadian:live:"
_MARK = "_"


def encode(live: LiveDetail) -> str:
    skus = [[s.id, str(s.price.amount), s.stock, s.sales] for s in live.skus]
    r = live.reviews
    return json.dumps([skus, [r.count, str(r.average_score), str(r.satisfaction)]], separators=(",", ":"))


def decode(raw: bytes | str) -> LiveDetail:
    skus, (count, average, satisfaction) = json.loads(raw)
    return LiveDetail(
        [SkuState(int(i), Money.of(price), int(stock), int(sales)) for i, price, stock, sales in skus],
        ReviewSummary(int(count), Decimal(average), Decimal(satisfaction)),
    )


class RedisLiveCache:
    def __init__(self, redis: Redis, prefix: str = PREFIX, *, rest_seconds: float = 5.0) -> None:
        self._redis = redis
        self._prefix = prefix
        self._rest_seconds = rest_seconds
        self._resting_until = 0.0

    def _failed(self, action: str, exc: Exception) -> None:
        if time.monotonic() >= self._resting_until:
            log.warning(
                "live values %s failed (%s: %s): reading the database", action, type(exc).__name__, exc
            )
        self._resting_until = time.monotonic() + self._rest_seconds

    async def read(self, generation: int, wanted: dict[int, list[int]]) -> dict[int, dict[int, LiveDetail]]:
        if not wanted or time.monotonic() < self._resting_until:
            return {}
        blocks = list(wanted)
        prefix = f"{self._prefix}{generation}:"
        try:
            if len(blocks) == 1:  # a product page: one command (a pipeline costs more on the client)
                answers: list[list[Any]] = [
                    await self._redis.hmget(f"{prefix}{blocks[0]}", [_MARK, *wanted[blocks[0]]])
                ]
            else:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for block in blocks:
                        pipe.hmget(f"{prefix}{block}", [_MARK, *wanted[block]])
                    answers = await pipe.execute()
        except RedisError as exc:
            self._failed("read", exc)
            return {}
        found: dict[int, dict[int, LiveDetail]] = {}
        for block, (mark, *values) in zip(blocks, answers, strict=True):
            if mark is None:
                continue
            found[block] = {
                product_id: decode(raw)
                for product_id, raw in zip(wanted[block], values, strict=True)
                if raw is not None
            }
        return found

    async def keep(self, generation: int, blocks: dict[int, dict[int, LiveDetail]], ttl_ms: int) -> None:
        if not blocks or time.monotonic() < self._resting_until:
            return
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                for block, values in blocks.items():
                    key = f"{self._prefix}{generation}:{block}"
                    fields: dict[FieldT, EncodableT] = {_MARK: "1"}
                    for product_id, live in values.items():
                        fields[product_id] = encode(live)
                    pipe.delete(key)
                    pipe.hset(key, mapping=fields)
                    pipe.pexpire(key, ttl_ms)
                await pipe.execute()
        except RedisError as exc:
            self._failed("keep", exc)
