"""The stock gate on Redis: one counter of tokens per gated sku, `jiadian:gate:{sku_id}`.

A sku is gated while its counter exists (`open` sets it, `close` deletes it; no TTL). The set
`jiadian:gate:skus` lists the gated skus for the operator (changed with the counters in one MULTI), so
listing them never scans the keyspace. Taking tokens is one Lua script that checks every gated key of
the order and then decrements them all, so concurrent buyers on any number of HTTP workers never take
more tokens than there are, and an order of several skus takes all its counts or none. Giving back is one script that increments only the keys that
still exist: a closed gate is not reopened by a late release.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from jiadian.domain.errors import InsufficientStock, ServiceUnavailable

# KEYS: the counters of the order's skus (ascending sku id); ARGV: their counts, in the same order.
# A missing key is a sku that is not gated: skipped. Answers {1, i, j, …} (the positions of the gated
# keys, all decremented) or {0, i, tokens} when the key at position i has too few (nothing taken).
ADMIT = """
local taken = {1}
for i, key in ipairs(KEYS) do
  local tokens = redis.call('GET', key)
  if tokens then
    tokens = tonumber(tokens)
    if tokens < tonumber(ARGV[i]) then
      return {0, i, tokens}
    end
    taken[#taken + 1] = i
  end
end
for n = 2, #taken do
  redis.call('DECRBY', KEYS[taken[n]], ARGV[taken[n]])
end
return taken
"""

# KEYS: counters; ARGV: counts to give back. Only existing keys are incremented. Answers how many.
RELEASE = """
local given = 0
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('INCRBY', key, ARGV[i])
    given = given + 1
  end
end
return given
"""

# KEYS: counters; ARGV: the new token counts. Only existing keys are set. Answers, per key, two
# numbers: 1 and the tokens before when it was gated, 0 and 0 when it was not (left unset).
SYNC = """
local before = {}
for i, key in ipairs(KEYS) do
  local tokens = redis.call('GET', key)
  if tokens then
    redis.call('SET', key, ARGV[i])
    before[#before + 1] = 1
    before[#before + 1] = tonumber(tokens)
  else
    before[#before + 1] = 0
    before[#before + 1] = 0
  end
end
return before
"""

SYNC_BATCH = 1000
PREFIX = "jiadian:gate:"  # the counters are PREFIX + sku id


@asynccontextmanager
async def _answering() -> AsyncIterator[None]:
    """Redis not answering becomes the domain's ServiceUnavailable (checkout then skips the gate)."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise ServiceUnavailable("库存闸门暂时不可用") from exc


class RedisStockGate:
    def __init__(self, redis: Redis, prefix: str = PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix
        self._registry = f"{prefix}skus"
        self._admit = redis.register_script(ADMIT)
        self._release = redis.register_script(RELEASE)
        self._sync = redis.register_script(SYNC)

    def _key(self, sku_id: int) -> str:
        return f"{self._prefix}{sku_id}"

    async def admit(self, counts: dict[int, int]) -> dict[int, int]:
        ids = sorted(counts)
        if not ids:
            return {}
        async with _answering():
            answer = await self._admit(keys=[self._key(i) for i in ids], args=[counts[i] for i in ids])
        status, *rest = (int(x) for x in answer)
        if status == 0:
            position, tokens = rest
            sku_id = ids[position - 1]
            raise InsufficientStock(sku_id, requested=counts[sku_id], available=tokens)
        return {ids[position - 1]: counts[ids[position - 1]] for position in rest}

    async def release(self, held: dict[int, int]) -> None:
        ids = sorted(held)
        if not ids:
            return
        async with _answering():
            await self._release(keys=[self._key(i) for i in ids], args=[held[i] for i in ids])

    async def open(self, levels: dict[int, int]) -> None:
        if not levels:
            return
        async with _answering(), self._redis.pipeline(transaction=True) as tx:
            tx.sadd(self._registry, *levels)
            tx.mset({self._key(sku_id): tokens for sku_id, tokens in levels.items()})
            await tx.execute()

    async def close(self, sku_ids: Iterable[int]) -> list[int]:
        ids = list(sku_ids)
        if not ids:
            return []
        async with _answering(), self._redis.pipeline(transaction=True) as tx:
            tx.srem(self._registry, *ids)
            for sku_id in ids:
                tx.delete(self._key(sku_id))
            _removed, *deleted = await tx.execute()
        return [sku_id for sku_id, n in zip(ids, deleted, strict=True) if n]

    async def tokens(self) -> dict[int, int]:
        async with _answering():
            ids = sorted(int(member) for member in await self._redis.smembers(self._registry))
            if not ids:
                return {}
            values = await self._redis.mget([self._key(i) for i in ids])
        # A sku closed between the two reads is no longer gated.
        return {sku_id: int(value) for sku_id, value in zip(ids, values, strict=True) if value is not None}

    async def sync(self, levels: dict[int, int]) -> dict[int, tuple[int, int]]:
        ids = sorted(levels)
        changes: dict[int, tuple[int, int]] = {}
        for start in range(0, len(ids), SYNC_BATCH):  # a big catalogue import: Redis is not held long
            batch = ids[start : start + SYNC_BATCH]
            async with _answering():
                answer = await self._sync(keys=[self._key(i) for i in batch], args=[levels[i] for i in batch])
            flat = [int(x) for x in answer]
            changes.update(
                (sku_id, (flat[2 * n + 1], levels[sku_id]))
                for n, sku_id in enumerate(batch)
                if flat[2 * n] == 1
            )
        return changes
