"""A Redis cache of read models, JSON-encoded by their types (no pickle)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import TypeAdapter
from redis.asyncio import Redis

T = TypeVar("T")


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(type_: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(type_)
    if adapter is None:
        adapter = _ADAPTERS[type_] = TypeAdapter(type_)
    return adapter


class RedisCache:
    def __init__(self, redis: Redis, prefix: str = "jiadian:cache:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def get(self, key: str, type_: type[T]) -> T | None:
        raw = await self._redis.get(self._prefix + key)
        if raw is None:
            return None
        value: T = _adapter(type_).validate_json(raw)
        return value

    async def set(self, key: str, value: object, ttl_seconds: int) -> None:
        await self._redis.set(self._prefix + key, _adapter(type(value)).dump_json(value), ex=ttl_seconds)

    async def delete(self, *keys: str) -> None:
        if keys:
            await self._redis.delete(*(self._prefix + k for k in keys))

    async def incr(self, key: str) -> int:
        return int(await self._redis.incr(self._prefix + key))

    async def ping(self) -> None:
        await self._redis.ping()
