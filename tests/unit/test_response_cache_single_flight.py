"""The rendered-answer cache renders an expired entry once, however many requests miss it at once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from jiadian.adapters.memory.cache import MemoryCache
from jiadian.entrypoints.http.response_cache import ResponseCache


class Generation:
    """Stands in for the catalogue: only its generation is read."""

    async def generation(self) -> int:
        return 7


class Renderer:
    def __init__(self, fail: Exception | None = None) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.fail = fail

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return {"page": self.calls}


async def _misses(cache: ResponseCache, render: Renderer, n: int) -> list[asyncio.Task[Any]]:
    tasks = [
        asyncio.create_task(cache.respond(Generation(), ("list", 1), render))  # type: ignore[arg-type]
        for _ in range(n)
    ]
    await asyncio.sleep(0)  # every request has missed and is waiting
    return tasks


async def test_concurrent_misses_render_once_and_share_the_answer() -> None:
    cache, render = ResponseCache(MemoryCache(), ttl_seconds=60), Renderer()
    tasks = await _misses(cache, render, 20)
    render.release.set()
    bodies = {r.content for r in await asyncio.gather(*tasks)}
    assert render.calls == 1
    assert [json.loads(b) for b in bodies] == [{"page": 1}]
    await cache.respond(Generation(), ("list", 1), render)  # type: ignore[arg-type]
    assert render.calls == 1  # then kept


async def test_a_failed_rendering_fails_every_waiter_and_is_not_kept() -> None:
    cache, render = ResponseCache(MemoryCache(), ttl_seconds=60), Renderer(fail=LookupError("gone"))
    tasks = await _misses(cache, render, 5)
    render.release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert render.calls == 1
    assert all(isinstance(r, LookupError) for r in results)
    render.fail = None
    await cache.respond(Generation(), ("list", 1), render)  # type: ignore[arg-type]
    assert render.calls == 2  # rendered again, not answered from a kept failure


async def test_a_waiter_that_goes_away_does_not_cancel_the_others() -> None:
    cache, render = ResponseCache(MemoryCache(), ttl_seconds=60), Renderer()
    first, *waiters = await _misses(cache, render, 4)
    waiters[0].cancel()
    render.release.set()
    with pytest.raises(asyncio.CancelledError):
        await waiters[0]
    assert [json.loads(r.content) for r in await asyncio.gather(first, *waiters[1:])] == [{"page": 1}] * 3


async def test_when_the_renderer_goes_away_a_waiter_renders_instead() -> None:
    cache, render = ResponseCache(MemoryCache(), ttl_seconds=60), Renderer()
    first, second = await _misses(cache, render, 2)
    first.cancel()
    await asyncio.sleep(0)
    render.release.set()
    assert json.loads((await second).content) == {"page": 2}
    assert first.cancelled()
