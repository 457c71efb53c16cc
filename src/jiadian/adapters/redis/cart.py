"""The cart and the browsing history on Redis.

Cart: one hash per user (`jiadian:cart:{user_id}`), field = sku id, value = count. An add is one Lua
script (HGET, HLEN, HSET in one atomic step), so concurrent adds neither lose an increment nor pass the
stock. History: one list per user (`jiadian:history:{user_id}`), LREM + LPUSH + LTRIM in one MULTI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from jiadian.domain.cart import MAX_LINES, CartFull, check_count
from jiadian.domain.errors import InsufficientStock, ServiceUnavailable

# KEYS[1] the cart; ARGV: sku id, count to add, limit (stock), max distinct lines.
# Answers {1, distinct lines} when added, {0, current count} over the limit, {-1, lines} when full.
ADD = """
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if current == 0 then
  local lines = redis.call('HLEN', KEYS[1])
  if lines >= tonumber(ARGV[4]) then
    return {-1, lines}
  end
end
local total = current + tonumber(ARGV[2])
if total > tonumber(ARGV[3]) then
  return {0, current}
end
redis.call('HSET', KEYS[1], ARGV[1], total)
return {1, redis.call('HLEN', KEYS[1])}
"""

# KEYS[1] the cart; ARGV: sku id, new count. Answers 1 when set, 0 when the cart has no such line.
SET = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""

HISTORY_TTL_SECONDS = 180 * 24 * 3600  # a history nobody looked at for half a year is dropped


@asynccontextmanager
async def _answering(what: str) -> AsyncIterator[None]:
    """Redis not answering becomes the domain's ServiceUnavailable (HTTP 503)."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise ServiceUnavailable(f"{what}暂时不可用，请稍后再试") from exc


class RedisCartStore:
    def __init__(self, redis: Redis, prefix: str = "jiadian:cart:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._add = redis.register_script(ADD)
        self._set = redis.register_script(SET)

    def _key(self, user_id: int) -> str:
        return f"{self._prefix}{user_id}"

    async def add(self, user_id: int, sku_id: int, count: int, *, limit: int) -> int:
        check_count(count)
        async with _answering("购物车"):
            status, value = await self._add(keys=[self._key(user_id)], args=[sku_id, count, limit, MAX_LINES])
        if status == -1:
            raise CartFull(int(value))
        if status == 0:
            raise InsufficientStock(sku_id, requested=int(value) + count, available=limit)
        return int(value)

    async def set(self, user_id: int, sku_id: int, count: int) -> bool:
        check_count(count)
        async with _answering("购物车"):
            done = await self._set(keys=[self._key(user_id)], args=[sku_id, count])
        return bool(done)

    async def remove(self, user_id: int, *sku_ids: int) -> None:
        if not sku_ids:
            return
        async with _answering("购物车"):
            await self._redis.hdel(self._key(user_id), *(str(s) for s in sku_ids))

    async def lines(self, user_id: int) -> dict[int, int]:
        async with _answering("购物车"):
            raw = await self._redis.hgetall(self._key(user_id))
        return {int(sku): int(count) for sku, count in raw.items()}

    async def ping(self) -> None:
        async with _answering("购物车"):
            await self._redis.ping()


class RedisBrowsingHistory:
    def __init__(self, redis: Redis, prefix: str = "jiadian:history:") -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, user_id: int) -> str:
        return f"{self._prefix}{user_id}"

    async def record(self, user_id: int, product_id: int, *, keep: int) -> None:
        key = self._key(user_id)
        async with _answering("浏览记录"), self._redis.pipeline(transaction=True) as tx:
            tx.lrem(key, 0, str(product_id))
            tx.lpush(key, product_id)
            tx.ltrim(key, 0, keep - 1)
            tx.expire(key, HISTORY_TTL_SECONDS)
            await tx.execute()

    async def recent(self, user_id: int, limit: int) -> list[int]:
        if limit <= 0:
            return []
        async with _answering("浏览记录"):
            raw = await self._redis.lrange(self._key(user_id), 0, limit - 1)
        return [int(p) for p in raw]
