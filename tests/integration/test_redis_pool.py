"""The shop's Redis client queues for a connection when its pool is busy, instead of failing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.conftest import settings_for

from jiadian.container import build_container, shutdown

pytestmark = pytest.mark.redis


async def test_a_burst_past_the_pool_waits_for_connections(tmp_path: Path, redis_url: str) -> None:
    container = build_container(settings_for(tmp_path, redis_url=redis_url, redis_max_connections=2))
    redis = container.redis()
    assert redis is not None
    try:
        # 40 commands that each hold a connection for a moment, on a pool of 2: all answered, in turn.
        answers = await asyncio.gather(*(redis.blpop([f"pool-test-{i}"], timeout=0.05) for i in range(40)))
        assert answers == [None] * 40
        assert await redis.ping()
    finally:
        await shutdown(container)


async def test_the_pool_size_is_the_setting(tmp_path: Path, redis_url: str) -> None:
    container = build_container(settings_for(tmp_path, redis_url=redis_url, redis_max_connections=7))
    try:
        redis = container.redis()
        assert redis is not None
        assert redis.connection_pool.max_connections == 7
    finally:
        await shutdown(container)
