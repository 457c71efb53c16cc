"""The live values of products kept in Redis: per product and generation, one round trip, kept long until
moved, a read that raced a move kept only the max age, failing soft."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from redis.asyncio import Redis

from jiadian.adapters.redis.live_cache import RedisLiveCache
from jiadian.application.catalog_ports import LiveDetail, SkuState
from jiadian.domain.money import Money
from jiadian.domain.reviews import ReviewSummary

pytestmark = pytest.mark.redis
PREFIX = "test:live:"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.delete(*[f"{PREFIX}{k}" for n in (64, 65, 70, 71) for k in (n, f"m:{n}")])
    yield client
    await client.aclose()


def live(sku_id: int, price: str, stock: int, reviews: int = 0) -> LiveDetail:
    summary = ReviewSummary.of(reviews, 5 * reviews, reviews)
    return LiveDetail(
        [SkuState(sku_id, Money.of(price), stock, 7), SkuState(sku_id + 1, Money.of("0.10"), 0, 0)], summary
    )


async def test_kept_values_read_back_as_they_were_kept(redis: Redis) -> None:
    cache = RedisLiveCache(redis, prefix=PREFIX)
    values = {64: live(1, "8888.00", 5, reviews=2), 65: None, 70: live(9, "99.90", 0)}
    await cache.keep(3, values, {64: 0, 65: 0, 70: 0}, keep_ms=300_000, max_age_ms=1000)
    assert 1000 < await redis.pttl(f"{PREFIX}64") <= 300_000

    found = await cache.read(3, [64, 65, 70, 71])

    assert found.values == values  # 65 kept as having none; 71 never kept
    assert found.values[64].reviews.average_score == Decimal("5.00")  # type: ignore[union-attr]
    assert found.moves == {71: 0}  # of those not kept
    assert (await cache.read(4, [64])).values == {}  # another generation


async def test_a_move_counts_and_shortens_what_is_kept_to_the_max_age(redis: Redis) -> None:
    cache = RedisLiveCache(redis, prefix=PREFIX)
    await cache.keep(3, {64: live(1, "1.00", 1), 65: None}, {}, keep_ms=300_000, max_age_ms=1000)

    await cache.moved([64, 71], 1000)
    await cache.moved([64], 1000)

    assert 0 < await redis.pttl(f"{PREFIX}64") <= 1000
    assert await redis.pttl(f"{PREFIX}65") > 1000  # not moved
    assert await redis.pttl(f"{PREFIX}71") == -2  # moved, never kept: nothing made
    await redis.delete(f"{PREFIX}64")
    assert (await cache.read(3, [64, 65, 71])).moves == {64: 2, 71: 1}
    await cache.keep(3, {65: None}, {}, keep_ms=500, max_age_ms=200)
    await cache.moved([65], 1000)
    assert 200 < await redis.pttl(f"{PREFIX}65") <= 500  # a move never lengthens


async def test_values_read_while_a_move_came_are_kept_only_the_max_age(redis: Redis) -> None:
    cache = RedisLiveCache(redis, prefix=PREFIX)
    seen = await cache.read(3, [64, 65])
    await cache.moved([64], 1000)  # an order committed between the read of the moves and the keep
    await cache.keep(3, {64: None, 65: None}, seen.moves, keep_ms=300_000, max_age_ms=1000)
    assert 0 < await redis.pttl(f"{PREFIX}64") <= 1000
    assert await redis.pttl(f"{PREFIX}65") > 1000


async def test_a_store_that_does_not_answer_keeps_nothing_and_reads_nothing() -> None:
    gone = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    cache = RedisLiveCache(gone, rest_seconds=60)
    await cache.keep(1, {64: live(1, "1.00", 1)}, {}, keep_ms=1000, max_age_ms=1000)
    await cache.moved([64], 1000)
    found = await cache.read(1, [64])
    assert (found.values, found.moves) == ({}, {})
    await gone.aclose()
