"""Verification codes and per-client send history in Redis, shared by every HTTP worker.

A code is a hash {code, expires_at, failures} under `<prefix>code:<email>`; redeeming is one Lua
script (compare, count a failure or delete), so a code is used at most once however many requests
race for it. A client's sends are a sorted set (score: time of the send) that expires on its own.
Times are the shop clock's; the Redis TTLs only clean up.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from redis.asyncio import Redis

from jiadian.application.accounts_ports import SendSlot

_REDEEM = """
local stored = redis.call('HMGET', KEYS[1], 'code', 'expires_at')
if not stored[1] then
  return 0
end
if tonumber(ARGV[2]) >= tonumber(stored[2]) then
  redis.call('DEL', KEYS[1])
  return 0
end
if stored[1] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
if redis.call('HINCRBY', KEYS[1], 'failures', 1) >= tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
end
return 0
"""


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


class RedisCodeStore:
    def __init__(self, redis: Redis, prefix: str = "jiadian:") -> None:
        self._redis = redis
        self._codes = prefix + "code:"
        self._sends = prefix + "code-sends:"
        self._redeem = redis.register_script(_REDEEM)

    async def put_code(self, email: str, code: str, *, now: datetime, ttl_seconds: int) -> None:
        key = self._codes + email
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"code": code, "expires_at": repr(_seconds(now) + ttl_seconds)})
            pipe.expire(key, ttl_seconds + 1)
            await pipe.execute()

    async def redeem_code(self, email: str, code: str, *, now: datetime, max_failures: int) -> bool:
        result = await self._redeem(
            keys=[self._codes + email], args=[code, repr(_seconds(now)), max_failures]
        )
        return bool(result)

    async def reserve_send(self, client: str, *, now: datetime, window_seconds: int) -> SendSlot:
        key, token, at = self._sends + client, secrets.token_hex(8), _seconds(now)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", at - window_seconds)
            pipe.zrange(key, 0, -1, withscores=True)
            pipe.zadd(key, {token: at})
            pipe.expire(key, window_seconds)
            _removed, earlier, _added, _expiry = await pipe.execute()
        return SendSlot(
            client, token, tuple(datetime.fromtimestamp(score, UTC) for _member, score in earlier)
        )

    async def release_send(self, slot: SendSlot) -> None:
        await self._redis.zrem(self._sends + slot.client, slot.token)
