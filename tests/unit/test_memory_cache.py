from __future__ import annotations

from jiadian.adapters.memory.cache import MemoryCache


async def test_the_oldest_entry_goes_first_when_full() -> None:
    cache = MemoryCache(max_entries=3)
    for key in "abcd":
        await cache.set(key, key.upper(), 60)
    assert await cache.get("a", str) is None
    assert [await cache.get(k, str) for k in "bcd"] == ["B", "C", "D"]


async def test_rewriting_a_key_does_not_evict_another() -> None:
    cache = MemoryCache(max_entries=2)
    await cache.set("a", 1, 60)
    await cache.set("b", 2, 60)
    await cache.set("b", 3, 60)
    assert (await cache.get("a", int), await cache.get("b", int)) == (1, 3)


async def test_ttl_is_capped_by_the_maximum() -> None:
    cache = MemoryCache(max_ttl_seconds=0)
    await cache.set("a", 1, 3600)
    assert await cache.get("a", int) is None
