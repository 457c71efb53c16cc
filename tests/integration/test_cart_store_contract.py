"""One contract for the cart and history stores, run against Redis and against memory.

The in-memory adapters are the embedded default and the unit tests' fakes: running the same tests on
both keeps them from drifting apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from tests.conftest import flushed_redis

from jiadian.adapters.memory.cart import MemoryBrowsingHistory, MemoryCartStore
from jiadian.adapters.redis.cart import RedisBrowsingHistory, RedisCartStore
from jiadian.application.cart_ports import BrowsingHistory, CartStore
from jiadian.domain.cart import MAX_LINES, CartFull
from jiadian.domain.errors import InsufficientStock, InvalidQuantity, ServiceUnavailable

USER, OTHER = 7, 8


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Redis | None]:
    """None for the in-memory adapters, else a client of the test Redis (flushed before and after)."""
    if request.param == "memory":
        yield None
        return
    async with flushed_redis() as client:
        yield client


@pytest.fixture
def carts(backend: Redis | None) -> CartStore:
    return MemoryCartStore() if backend is None else RedisCartStore(backend)


@pytest.fixture
def history(backend: Redis | None) -> BrowsingHistory:
    return MemoryBrowsingHistory() if backend is None else RedisBrowsingHistory(backend)


# --- cart -------------------------------------------------------------------------------------


async def test_an_unknown_cart_is_empty(carts: CartStore) -> None:
    assert await carts.lines(USER) == {}


async def test_add_accumulates_and_answers_distinct_lines(carts: CartStore) -> None:
    assert await carts.add(USER, 1, 2, limit=10) == 1
    assert await carts.add(USER, 1, 3, limit=10) == 1
    assert await carts.add(USER, 2, 1, limit=10) == 2
    assert await carts.add(OTHER, 1, 1, limit=10) == 1
    assert await carts.lines(USER) == {1: 5, 2: 1}
    assert await carts.lines(OTHER) == {1: 1}


async def test_add_up_to_the_limit_and_not_past_it(carts: CartStore) -> None:
    await carts.add(USER, 1, 3, limit=4)
    assert await carts.add(USER, 1, 1, limit=4) == 1
    with pytest.raises(InsufficientStock) as refused:
        await carts.add(USER, 1, 1, limit=4)
    assert refused.value.facts == {"sku_id": 1, "requested": 5, "available": 4}
    assert await carts.lines(USER) == {1: 4}


async def test_a_refused_first_add_writes_nothing(carts: CartStore) -> None:
    with pytest.raises(InsufficientStock):
        await carts.add(USER, 1, 3, limit=2)
    assert await carts.lines(USER) == {}


@pytest.mark.parametrize("count", [0, -1])
async def test_counts_below_one_are_refused(carts: CartStore, count: int) -> None:
    await carts.add(USER, 1, 1, limit=5)
    with pytest.raises(InvalidQuantity):
        await carts.add(USER, 1, count, limit=5)
    with pytest.raises(InvalidQuantity):
        await carts.set(USER, 1, count)
    assert await carts.lines(USER) == {1: 1}


async def test_a_full_cart_refuses_a_new_line_but_grows_an_old_one(carts: CartStore) -> None:
    for sku in range(1, MAX_LINES + 1):
        await carts.add(USER, sku, 1, limit=5)
    with pytest.raises(CartFull):
        await carts.add(USER, MAX_LINES + 1, 1, limit=5)
    assert await carts.add(USER, 1, 1, limit=5) == MAX_LINES
    assert len(await carts.lines(USER)) == MAX_LINES


async def test_set_replaces_a_line_that_is_there_only(carts: CartStore) -> None:
    await carts.add(USER, 1, 5, limit=10)
    assert await carts.set(USER, 1, 2) is True
    assert await carts.set(USER, 2, 3) is False
    assert await carts.set(OTHER, 1, 3) is False
    assert await carts.lines(USER) == {1: 2}
    assert await carts.lines(OTHER) == {}


async def test_remove_lines_present_or_not(carts: CartStore) -> None:
    for sku in (1, 2, 3):
        await carts.add(USER, sku, 1, limit=10)
    await carts.add(OTHER, 2, 1, limit=10)
    await carts.remove(USER, 2, 3, 99)
    await carts.remove(USER)
    await carts.remove(OTHER + 100, 1)
    assert await carts.lines(USER) == {1: 1}
    assert await carts.lines(OTHER) == {2: 1}
    await carts.remove(USER, 1)
    assert await carts.lines(USER) == {}
    assert await carts.add(USER, 1, 1, limit=10) == 1


async def test_ping_answers_and_leaves_the_carts_as_they_were(carts: CartStore) -> None:
    await carts.add(USER, 1, 2, limit=10)
    assert await carts.ping() is None
    assert await carts.lines(USER) == {1: 2}


async def test_a_redis_cart_store_that_does_not_answer_is_unavailable_not_a_crash() -> None:
    client = Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)  # nothing listens on port 1
    try:
        with pytest.raises(ServiceUnavailable) as refused:
            await RedisCartStore(client).ping()
        assert (refused.value.code, refused.value.detail) == (
            "service_unavailable",
            "购物车暂时不可用，请稍后再试",
        )
    finally:
        await client.aclose()


# --- browsing history -------------------------------------------------------------------------


async def test_history_most_recent_first_each_once(history: BrowsingHistory) -> None:
    for product_id in [1, 2, 3, 1, 2]:
        await history.record(USER, product_id, keep=20)
    assert await history.recent(USER, 20) == [2, 1, 3]
    assert await history.recent(USER, 2) == [2, 1]
    assert await history.recent(USER, 0) == []
    assert await history.recent(OTHER, 20) == []


async def test_history_keeps_only_the_latest(history: BrowsingHistory) -> None:
    for product_id in range(1, 26):
        await history.record(USER, product_id, keep=20)
    assert await history.recent(USER, 100) == list(range(25, 5, -1))
