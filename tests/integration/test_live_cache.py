"""The live values of products kept in Redis: blocks per generation, one round trip, expiry, failing soft."""

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


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def live(sku_id: int, price: str, stock: int, reviews: int = 0) -> LiveDetail:
    summary = ReviewSummary.of(reviews, 5 * reviews, reviews)
    return LiveDetail(
        [SkuState(sku_id, Money.of(price), stock, 7), SkuState(sku_id + 1, Money.of("0.10"), 0, 0)], summary
    )


async def test_a_kept_block_reads_back_as_it_was_kept(redis: Redis) -> None:
    cache = RedisLiveCache(redis, prefix="test:live:")
    await cache.keep(3, {1: {64: live(1, "8888.00", 5, reviews=2), 70: live(9, "99.90", 0)}, 5: {}}, 1000)
    assert 0 < await redis.pttl("test:live:3:1") <= 1000

    found = await cache.read(3, {1: [64, 65, 70], 2: [128]})

    assert found == {1: {64: live(1, "8888.00", 5, reviews=2), 70: live(9, "99.90", 0)}}  # block 2 never kept
    assert found[1][64].reviews.average_score == Decimal("5.00")
    assert await cache.read(3, {1: [65]}) == {1: {}}  # kept, without values for that product
    assert await cache.read(4, {1: [64]}) == {}  # another generation
    assert await cache.read(3, {5: [320], 2: [128]}) == {5: {}}  # kept, with no values at all


async def test_a_store_that_does_not_answer_keeps_nothing_and_reads_nothing() -> None:
    gone = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    cache = RedisLiveCache(gone, rest_seconds=60)
    await cache.keep(1, {1: {64: live(1, "1.00", 1)}}, 1000)
    assert await cache.read(1, {1: [64]}) == {}
    await gone.aclose()
