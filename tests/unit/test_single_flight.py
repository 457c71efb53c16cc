"""One computation per key at a time: the rendered-answer cache and the catalogue's caches use it, so an
entry that expires under load is computed once per process, not once per request in flight."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import pytest
from tests.catalog_support import given_shop

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.cache import MemoryCache
from jiadian.adapters.memory.state import MemoryState
from jiadian.application.catalog_ports import DetailRow
from jiadian.application.single_flight import SingleFlight
from jiadian.container import Container
from jiadian.entrypoints.http.response_cache import ResponseCache


class Slow:
    """A computation that waits to be released, counting its calls."""

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


async def _callers(flights: SingleFlight, compute: Slow, n: int) -> list[asyncio.Task[Any]]:
    tasks = [asyncio.create_task(flights.run("k", compute)) for _ in range(n)]
    await asyncio.sleep(0)  # every caller has asked and waits
    return tasks


async def test_concurrent_callers_share_one_computation() -> None:
    flights, compute = SingleFlight(), Slow()
    tasks = await _callers(flights, compute, 20)
    compute.release.set()
    assert await asyncio.gather(*tasks) == [{"page": 1}] * 20
    assert compute.calls == 1
    assert await flights.run("k", compute) == {"page": 2}  # nothing is kept: a later call computes


async def test_a_failure_reaches_every_waiter_and_is_not_kept() -> None:
    flights, compute = SingleFlight(), Slow(fail=LookupError("gone"))
    tasks = await _callers(flights, compute, 5)
    compute.release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert compute.calls == 1
    assert all(isinstance(r, LookupError) for r in results)
    compute.fail = None
    assert await flights.run("k", compute) == {"page": 2}


async def test_a_waiter_that_goes_away_does_not_cancel_the_others() -> None:
    flights, compute = SingleFlight(), Slow()
    first, *waiters = await _callers(flights, compute, 4)
    waiters[0].cancel()
    compute.release.set()
    with pytest.raises(asyncio.CancelledError):
        await waiters[0]
    assert await asyncio.gather(first, *waiters[1:]) == [{"page": 1}] * 3


async def test_when_the_computing_caller_goes_away_a_waiter_computes_instead() -> None:
    flights, compute = SingleFlight(), Slow()
    first, second = await _callers(flights, compute, 2)
    first.cancel()
    await asyncio.sleep(0)
    compute.release.set()
    assert await second == {"page": 2}
    assert first.cancelled()


async def test_the_answer_cache_renders_an_entry_once_for_concurrent_misses() -> None:
    class Generation:
        async def generation(self) -> int:
            return 7

    cache, render = ResponseCache(MemoryCache(), ttl_seconds=60), Slow()
    tasks = [
        asyncio.create_task(cache.respond(Generation(), ("list", 1), render))  # type: ignore[arg-type]
        for _ in range(20)
    ]
    await asyncio.sleep(0)
    render.release.set()
    assert [json.loads(r.content) for r in await asyncio.gather(*tasks)] == [{"page": 1}] * 20
    await cache.respond(Generation(), ("list", 1), render)  # type: ignore[arg-type]
    assert render.calls == 1  # then kept


async def test_a_cold_product_page_is_read_once_for_concurrent_shoppers(
    memory: tuple[Container, MemoryState], clock: FixedClock
) -> None:
    container, _state = memory
    await given_shop(container.catalog_admin(), clock)
    queries = container.catalog().queries
    reads: list[int] = []
    release = asyncio.Event()

    class SlowQueries:
        def __getattr__(self, name: str) -> Any:
            return getattr(queries, name)

        async def detail(self, product_id: int) -> DetailRow | None:
            reads.append(product_id)
            await release.wait()
            return await queries.detail(product_id)

    catalog = dataclasses.replace(container.catalog(), queries=SlowQueries())  # type: ignore[arg-type]
    tasks = [asyncio.create_task(catalog.detail(1)) for _ in range(30)]
    await asyncio.sleep(0.01)
    release.set()
    pages = await asyncio.gather(*tasks)
    assert reads == [1]
    assert {(p.id, len(p.skus)) for p in pages} == {(1, 3)}
