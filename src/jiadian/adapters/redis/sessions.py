"""The index of each user's session tokens in Redis: a set per user, `<prefix>user-sessions:<user id>`."""

from __future__ import annotations

from redis.asyncio import Redis


class RedisSessionIndex:
    """Implements `jiadian.adapters.sessions.SessionIndex`, shared by every HTTP worker."""

    def __init__(self, redis: Redis, prefix: str = "jiadian:") -> None:
        self._redis = redis
        self._prefix = prefix + "user-sessions:"

    async def add(self, user_id: int, token: str, *, ttl_seconds: int) -> None:
        key = f"{self._prefix}{user_id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, token)
            pipe.expire(key, ttl_seconds)
            await pipe.execute()

    async def remove(self, user_id: int, *tokens: str) -> None:
        if tokens:
            await self._redis.srem(f"{self._prefix}{user_id}", *tokens)

    async def tokens(self, user_id: int) -> set[str]:
        members = await self._redis.smembers(f"{self._prefix}{user_id}")
        return {m.decode() if isinstance(m, bytes) else str(m) for m in members}
