"""An in-process cache: the embedded default's cache, and every process's near cache in production.

Each process has its own, so TTLs are kept short, and its size is bounded (the oldest entry goes first).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, TypeVar, cast

T = TypeVar("T")


class MemoryCache:
    def __init__(self, max_ttl_seconds: int = 60, max_entries: int = 10_000) -> None:
        self._items: dict[str, tuple[float, Any]] = {}
        self._max_ttl = max_ttl_seconds
        self._max_entries = max_entries

    async def get(self, key: str, type_: type[T]) -> T | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if expires < time.monotonic():
            self._items.pop(key, None)
            return None
        return cast(T, value)

    async def get_many(self, keys: list[str], type_: type[T]) -> dict[str, T]:
        found = {key: await self.get(key, type_) for key in keys}
        return {key: value for key, value in found.items() if value is not None}

    async def set_many(self, values: Mapping[str, object], ttl_seconds: int) -> None:
        for key, value in values.items():
            await self.set(key, value, ttl_seconds)

    async def set(self, key: str, value: object, ttl_seconds: int) -> None:
        self._items.pop(key, None)
        while len(self._items) >= self._max_entries:
            self._items.pop(next(iter(self._items)))
        self._items[key] = (time.monotonic() + min(ttl_seconds, self._max_ttl), value)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._items.pop(key, None)

    async def incr(self, key: str) -> int:
        expires, value = self._items.get(key, (float("inf"), 0))
        self._items[key] = (expires, int(value) + 1)
        return int(value) + 1

    async def ping(self) -> None:
        return None
