"""The Redis cache adapter fails soft: Redis down is a miss, a failed invalidation is retried later."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis.asyncio import Redis

from jiadian.adapters.redis.cache import RedisCache
from jiadian.application.catalog import CategoryView
from tests.faults.conftest import Tally
from tests.faults.proxy import FaultProxy
from tests.faults.support import RedisServer, via

pytestmark = pytest.mark.redis


async def test_down_is_a_miss_and_a_lost_invalidation_is_made_up_for(
    private_redis: RedisServer, proxies: list[FaultProxy], tally: Tally, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    proxy = FaultProxy(private_redis.port).start()
    proxies.append(proxy)
    direct = Redis.from_url(private_redis.url)
    proxied = Redis.from_url(via(private_redis.url, proxy.port), socket_timeout=5, socket_connect_timeout=2)
    cache = RedisCache(proxied, prefix="t:", rest_seconds=0.2)
    views = [CategoryView(1, "智能设备", "intelligence", "")]
    try:
        await cache.set("categories", views, 60)
        assert await cache.get("categories", list[CategoryView]) == views

        proxy.refuse()
        tally.fault("Redis stopped under the cache adapter")
        assert await cache.get("categories", list[CategoryView]) is None  # a miss, not an error
        await cache.set("categories", views, 60)  # dropped, not raised
        await cache.delete("categories")  # an operator's write: the entry is now stale in Redis
        assert "not invalidated" in caplog.text
        with pytest.raises(Exception):
            await cache.ping()  # /ready still sees the outage
        tally.verified("cache reads and writes degrade to misses while Redis is down; ping still fails")

        proxy.accept()
        assert await direct.exists("t:categories") == 1  # stale: the delete never arrived
        await asyncio.sleep(0.3)  # past the rest
        assert await cache.get("banners", list[CategoryView]) is None
        assert await direct.exists("t:categories") == 0  # the failed invalidation was made up for
        assert await cache.get("categories", list[CategoryView]) is None
        tally.verified("an invalidation lost while Redis was down is applied when it returns")

        await direct.set("t:categories", b'{"not": "a list"}')
        assert await cache.get("categories", list[CategoryView]) is None  # undecodable: a miss
    finally:
        await proxied.aclose()
        await direct.aclose()
