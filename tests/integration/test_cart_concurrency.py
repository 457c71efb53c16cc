"""Concurrent adds of one sku by one user against real Redis: no lost increment, never past the stock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from jiadian.adapters.redis.cart import RedisCartStore
from jiadian.domain.errors import InsufficientStock

pytestmark = pytest.mark.redis

USER, SKU, SHOPPERS = 1, 42, 50


@pytest.fixture
async def clients(redis_url: str) -> AsyncIterator[list[Redis]]:
    """One client, hence one connection, per concurrent shopper."""
    clients = [Redis.from_url(redis_url) for _ in range(SHOPPERS)]
    await asyncio.gather(*(c.ping() for c in clients))  # connect them all before the race
    yield clients
    await asyncio.gather(*(c.aclose() for c in clients))


async def _race(clients: list[Redis], count: int, limit: int) -> list[int | BaseException]:
    stores = [RedisCartStore(c) for c in clients]
    return await asyncio.gather(
        *(store.add(USER, SKU, count, limit=limit) for store in stores), return_exceptions=True
    )


async def test_no_increment_is_lost(clients: list[Redis]) -> None:
    results = await _race(clients, count=3, limit=1_000)
    assert results == [1] * SHOPPERS
    assert await RedisCartStore(clients[0]).lines(USER) == {SKU: 3 * SHOPPERS}


async def test_the_stock_is_reached_exactly_and_the_rest_refused(clients: list[Redis]) -> None:
    stock = 40
    results = await _race(clients, count=1, limit=stock)
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert [r for r in results if not isinstance(r, InsufficientStock)] == [1] * stock
    assert len(refused) == SHOPPERS - stock
    assert all(r.facts["available"] == stock for r in refused)
    assert await RedisCartStore(clients[0]).lines(USER) == {SKU: stock}


async def test_uneven_adds_never_pass_the_stock(clients: list[Redis]) -> None:
    stock = 100
    results = await _race(clients, count=3, limit=stock)
    accepted = sum(1 for r in results if r == 1)
    assert all(r == 1 or isinstance(r, InsufficientStock) for r in results)
    assert accepted == stock // 3
    assert await RedisCartStore(clients[0]).lines(USER) == {SKU: 3 * (stock // 3)}
