"""One contract for the stock gate, run against Redis (its Lua scripts) and against memory.

The in-memory gate is the embedded default and the unit tests' fake: the same tests on both keep
them from drifting apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.conftest import flushed_redis

from jiadian.adapters.memory.stock_gate import MemoryStockGate
from jiadian.adapters.redis.stock_gate import RedisStockGate
from jiadian.application.stock_gate import StockGate
from jiadian.domain.errors import InsufficientStock


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def gate(request: pytest.FixtureRequest) -> AsyncIterator[StockGate]:
    if request.param == "memory":
        yield MemoryStockGate()
        return
    async with flushed_redis() as client:
        yield RedisStockGate(client)


async def test_nothing_is_gated_at_first(gate: StockGate) -> None:
    assert await gate.tokens() == {}
    assert await gate.admit({1: 5, 2: 1}) == {}
    assert await gate.admit({}) == {}
    await gate.release({1: 5})
    assert await gate.tokens() == {}


async def test_admit_takes_the_gated_counts_and_answers_them(gate: StockGate) -> None:
    await gate.open({10: 5, 30: 2})
    assert await gate.admit({30: 2, 20: 9, 10: 1}) == {10: 1, 30: 2}
    assert await gate.tokens() == {10: 4, 30: 0}


async def test_a_short_sku_is_named_and_nothing_is_taken(gate: StockGate) -> None:
    await gate.open({10: 5, 20: 1, 30: 0})
    with pytest.raises(InsufficientStock) as refused:
        await gate.admit({10: 5, 20: 2, 30: 1})
    assert refused.value.facts == {"sku_id": 20, "requested": 2, "available": 1}  # the first short one
    assert await gate.tokens() == {10: 5, 20: 1, 30: 0}
    with pytest.raises(InsufficientStock) as refused:
        await gate.admit({30: 1})
    assert refused.value.facts == {"sku_id": 30, "requested": 1, "available": 0}


async def test_release_gives_back_only_where_still_gated(gate: StockGate) -> None:
    await gate.open({10: 5, 20: 5})
    held = await gate.admit({10: 3, 20: 3})
    assert await gate.close([20]) == [20]
    await gate.release({**held, 40: 1})
    assert await gate.tokens() == {10: 5}
    assert await gate.admit({20: 100, 40: 100}) == {}


async def test_open_again_sets_new_tokens_and_close_answers_what_was_gated(gate: StockGate) -> None:
    await gate.open({10: 5})
    await gate.open({10: 8, 20: 1})
    assert await gate.tokens() == {10: 8, 20: 1}
    assert await gate.close([10, 99]) == [10]
    assert await gate.close([10]) == []
    assert await gate.close([]) == []
    assert await gate.tokens() == {20: 1}


async def test_sync_sets_gated_skus_only_and_reports_before_and_after(gate: StockGate) -> None:
    await gate.open({10: 5, 20: 1})
    await gate.admit({10: 2})
    assert await gate.sync({10: 7, 20: 1, 30: 4}) == {10: (3, 7), 20: (1, 1)}
    assert await gate.tokens() == {10: 7, 20: 1}
    assert await gate.sync({}) == {}
