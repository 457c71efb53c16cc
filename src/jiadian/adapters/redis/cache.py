"""A Redis cache of read models, JSON-encoded by their types (no pickle).

It fails soft: a Redis that does not answer (or an entry that no longer decodes) is a miss, so reads
fall through to the database. After a failure the cache rests for `rest_seconds` (one log line and at
most one timeout per rest, not one per request); invalidations that failed are retried afterwards.
`incr` and `ping` still raise: a counter's caller needs its value, and /ready must see the outage.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import TypeAdapter
from redis.asyncio import Redis
from redis.exceptions import RedisError

T = TypeVar("T")
log = logging.getLogger("jiadian.cache")


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(type_: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(type_)
    if adapter is None:
        adapter = _ADAPTERS[type_] = TypeAdapter(type_)
    return adapter


def _decoded(key: str, raw: bytes | str | None, type_: type[T]) -> T | None:
    if raw is None:
        return None
    try:
        value: T = _adapter(type_).validate_json(raw)
    except ValueError as exc:  # written by another version of the shop: a miss
        log.warning("cache entry %s does not decode (%s): ignored", key, type(exc).__name__)
        return None
    return value


class RedisCache:
    def __init__(self, redis: Redis, prefix: str = "jiadian:cache:", *, rest_seconds: float = 5.0) -> None:
        self._redis = redis
        self._prefix = prefix
        self._rest_seconds = rest_seconds
        self._resting_until = 0.0
        self._stale: set[str] = set()  # keys whose invalidation failed: deleted before the next read

    def _resting(self) -> bool:
        return time.monotonic() < self._resting_until

    def _failed(self, action: str, exc: Exception) -> None:
        if not self._resting():
            log.warning(
                "cache %s failed (%s: %s): serving without the cache for %.0f s",
                action,
                type(exc).__name__,
                exc,
                self._rest_seconds,
            )
        self._resting_until = time.monotonic() + self._rest_seconds

    async def _drop_stale(self) -> None:
        if self._stale:
            await self._redis.delete(*(self._prefix + k for k in self._stale))
            self._stale.clear()

    async def get(self, key: str, type_: type[T]) -> T | None:
        if self._resting():
            return None
        try:
            await self._drop_stale()
            raw = await self._redis.get(self._prefix + key)
        except RedisError as exc:
            self._failed("get", exc)
            return None
        return _decoded(key, raw, type_)

    async def get_many(self, keys: list[str], type_: type[T]) -> dict[str, T]:
        if not keys or self._resting():
            return {}
        try:
            await self._drop_stale()
            raws = await self._redis.mget([self._prefix + k for k in keys])
        except RedisError as exc:
            self._failed("get", exc)
            return {}
        found = {key: _decoded(key, raw, type_) for key, raw in zip(keys, raws, strict=True)}
        return {key: value for key, value in found.items() if value is not None}

    async def set_many(self, values: Mapping[str, object], ttl_seconds: int) -> None:
        if not values or self._resting():
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, value in values.items():
                    pipe.set(self._prefix + key, _adapter(type(value)).dump_json(value), ex=ttl_seconds)
                await pipe.execute()
        except RedisError as exc:
            self._failed("set", exc)

    async def set(self, key: str, value: object, ttl_seconds: int) -> None:
        if self._resting():
            return
        try:
            await self._redis.set(self._prefix + key, _adapter(type(value)).dump_json(value), ex=ttl_seconds)
        except RedisError as exc:
            self._failed("set", exc)

    async def delete(self, *keys: str) -> None:
        if not keys:
            return
        try:
            await self._redis.delete(*(self._prefix + k for k in keys))
        except RedisError as exc:
            self._stale.update(keys)
            log.error("cache entries %s not invalidated (%s); retried with the next read", keys, exc)
            self._resting_until = time.monotonic() + self._rest_seconds

    async def incr(self, key: str) -> int:
        return int(await self._redis.incr(self._prefix + key))

    async def ping(self) -> None:
        await self._redis.ping()
