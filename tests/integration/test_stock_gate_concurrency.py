"""The Redis stock gate under real contention: concurrent callers, each on its own connection.

Asserted by outcome (how many were admitted, what is left), never by speed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from jiadian.adapters.redis.stock_gate import RedisStockGate
from jiadian.domain.errors import InsufficientStock

pytestmark = pytest.mark.redis

CALLERS, TOKENS = 200, 50
HOT, OTHER = 7, 8


@pytest.fixture
async def gates(redis_url: str) -> AsyncIterator[list[RedisStockGate]]:
    """One client, hence one connection, per concurrent caller."""
    clients = [Redis.from_url(redis_url) for _ in range(CALLERS)]
    await asyncio.gather(*(c.ping() for c in clients))  # connect them all before the race
    yield [RedisStockGate(c) for c in clients]
    await asyncio.gather(*(c.aclose() for c in clients))


async def test_200_callers_for_50_tokens_admit_exactly_50(gates: list[RedisStockGate]) -> None:
    await gates[0].open({HOT: TOKENS})
    results = await asyncio.gather(*(g.admit({HOT: 1}) for g in gates), return_exceptions=True)
    admitted = [r for r in results if r == {HOT: 1}]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert (len(admitted), len(refused)) == (TOKENS, CALLERS - TOKENS)
    assert all(r.facts == {"sku_id": HOT, "requested": 1, "available": 0} for r in refused)
    assert await gates[0].tokens() == {HOT: 0}


async def test_orders_of_two_skus_take_both_or_neither(gates: list[RedisStockGate]) -> None:
    await gates[0].open({HOT: 30, OTHER: 40})
    results = await asyncio.gather(*(g.admit({HOT: 1, OTHER: 2}) for g in gates), return_exceptions=True)
    admitted = [r for r in results if isinstance(r, dict)]
    assert all(r == {HOT: 1, OTHER: 2} for r in admitted)
    assert all(isinstance(r, dict | InsufficientStock) for r in results)
    assert len(admitted) == 20  # OTHER runs out first: 40 // 2
    assert await gates[0].tokens() == {HOT: 10, OTHER: 0}


async def test_concurrent_releases_give_back_exactly_and_only_where_gated(
    gates: list[RedisStockGate],
) -> None:
    await gates[0].open({HOT: TOKENS, OTHER: TOKENS})
    held = await asyncio.gather(*(g.admit({HOT: 1, OTHER: 1}) for g in gates[:TOKENS]))
    assert await gates[0].tokens() == {HOT: 0, OTHER: 0}
    assert await gates[0].close([OTHER]) == [OTHER]
    await asyncio.gather(*(g.release(h) for g, h in zip(gates, held, strict=False)))
    assert await gates[0].tokens() == {HOT: TOKENS}
    assert await gates[0].admit({OTHER: 1}) == {}  # still closed: no key came back to life
