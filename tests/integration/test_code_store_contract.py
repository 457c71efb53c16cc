"""One contract for the verification-code store, run against Redis and against memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from tests.conftest import flushed_redis

from jiadian.adapters.memory.codes import MemoryCodeStore
from jiadian.adapters.redis.codes import RedisCodeStore
from jiadian.application.accounts_ports import CodeStore

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
DAY = 24 * 3600


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def codes(request: pytest.FixtureRequest) -> AsyncIterator[CodeStore]:
    if request.param == "memory":
        yield MemoryCodeStore()
        return
    async with flushed_redis() as client:
        yield RedisCodeStore(client)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def test_a_code_redeems_once(codes: CodeStore) -> None:
    await codes.put_code("a@example.com", "Ab12Cd", now=T0, ttl_seconds=120)
    assert await codes.redeem_code("a@example.com", "Ab12Cd", now=at(1), max_failures=5)
    assert not await codes.redeem_code("a@example.com", "Ab12Cd", now=at(2), max_failures=5)


async def test_codes_are_case_sensitive_and_per_email(codes: CodeStore) -> None:
    await codes.put_code("a@example.com", "Ab12Cd", now=T0, ttl_seconds=120)
    assert not await codes.redeem_code("b@example.com", "Ab12Cd", now=at(1), max_failures=5)
    assert not await codes.redeem_code("a@example.com", "ab12cd", now=at(1), max_failures=5)
    assert await codes.redeem_code("a@example.com", "Ab12Cd", now=at(1), max_failures=5)


async def test_a_code_expires_by_the_callers_clock(codes: CodeStore) -> None:
    await codes.put_code("a@example.com", "Ab12Cd", now=T0, ttl_seconds=120)
    assert not await codes.redeem_code("a@example.com", "Ab12Cd", now=at(120), max_failures=5)
    await codes.put_code("a@example.com", "Ab12Cd", now=T0, ttl_seconds=120)
    assert await codes.redeem_code("a@example.com", "Ab12Cd", now=at(119.9), max_failures=5)


async def test_wrong_guesses_void_the_code_at_the_limit(codes: CodeStore) -> None:
    await codes.put_code("a@example.com", "Ab12Cd", now=T0, ttl_seconds=120)
    for _ in range(2):
        assert not await codes.redeem_code("a@example.com", "zzzzzz", now=at(1), max_failures=3)
    assert await codes.redeem_code("a@example.com", "Ab12Cd", now=at(1), max_failures=3)

    await codes.put_code("a@example.com", "Ab12Cd", now=T0, ttl_seconds=120)
    for _ in range(3):
        assert not await codes.redeem_code("a@example.com", "zzzzzz", now=at(1), max_failures=3)
    assert not await codes.redeem_code("a@example.com", "Ab12Cd", now=at(1), max_failures=3)


async def test_a_new_code_replaces_the_old_and_its_failures(codes: CodeStore) -> None:
    await codes.put_code("a@example.com", "OLD111", now=T0, ttl_seconds=120)
    for _ in range(2):
        await codes.redeem_code("a@example.com", "zzzzzz", now=at(1), max_failures=3)
    await codes.put_code("a@example.com", "NEW222", now=at(60), ttl_seconds=120)
    assert not await codes.redeem_code("a@example.com", "OLD111", now=at(61), max_failures=3)
    assert not await codes.redeem_code("a@example.com", "zzzzzz", now=at(61), max_failures=3)
    assert await codes.redeem_code("a@example.com", "NEW222", now=at(170), max_failures=3)


async def test_concurrent_redeems_of_one_code_succeed_once(codes: CodeStore) -> None:
    await codes.put_code("a@example.com", "Ab12Cd", now=T0, ttl_seconds=120)
    results = await asyncio.gather(
        *(codes.redeem_code("a@example.com", "Ab12Cd", now=at(1), max_failures=5) for _ in range(20))
    )
    assert sum(results) == 1


async def test_sends_are_seen_by_later_sends_within_the_window(codes: CodeStore) -> None:
    first = await codes.reserve_send("1.2.3.4", now=T0, window_seconds=DAY)
    assert first.earlier == ()
    second = await codes.reserve_send("1.2.3.4", now=at(61), window_seconds=DAY)
    assert second.earlier == (T0,)
    other = await codes.reserve_send("5.6.7.8", now=at(62), window_seconds=DAY)
    assert other.earlier == ()
    late = await codes.reserve_send("1.2.3.4", now=at(DAY + 30), window_seconds=DAY)
    assert late.earlier == (at(61),)


async def test_a_released_send_is_forgotten_but_not_the_others_at_the_same_moment(codes: CodeStore) -> None:
    kept = await codes.reserve_send("1.2.3.4", now=T0, window_seconds=DAY)
    refused = await codes.reserve_send("1.2.3.4", now=T0, window_seconds=DAY)
    assert refused.earlier == (T0,)
    await codes.release_send(refused)
    after = await codes.reserve_send("1.2.3.4", now=at(1), window_seconds=DAY)
    assert after.earlier == (T0,)
    await codes.release_send(kept)
    await codes.release_send(after)
    assert (await codes.reserve_send("1.2.3.4", now=at(2), window_seconds=DAY)).earlier == ()


async def test_concurrent_sends_each_see_the_ones_before(codes: CodeStore) -> None:
    slots = await asyncio.gather(
        *(codes.reserve_send("1.2.3.4", now=T0, window_seconds=DAY) for _ in range(10))
    )
    assert sorted(len(s.earlier) for s in slots) == list(range(10))
