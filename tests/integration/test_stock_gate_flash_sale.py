"""The flash sale of `test_ordering_concurrency`, with the Redis stock gate in front of MariaDB.

Stock 50, 200 distinct buyers at once: exactly 50 orders, MySQL's stock and the tokens both end at 0,
every refusal is `insufficient_stock` — and none of them came from the database: the gate turned
the 150 away before their transactions. Asserted by outcome, never by speed.

redis-py's asyncio pool holds at most 100 connections by default and fails the 101st concurrent
command (`MaxConnectionsError`) instead of waiting. The gate treats that as "Redis did not answer" and
leaves the decision to MySQL; the first test gives its client a pool for every buyer, the last one
keeps the default and checks that the sale is still exact.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from tests.ordering_support import OrderingShop, flash_sale

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.redis.stock_gate import RedisStockGate
from jiadian.adapters.sql.tables import order_lines, orders
from jiadian.application.ordering_ports import StockRepository
from jiadian.application.stock import StockKeeper
from jiadian.application.stock_gate import GateChange, StockGates
from jiadian.container import Container
from jiadian.domain.errors import InsufficientStock
from jiadian.domain.ordering import Order

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

BUYERS = 200
STOCK = 50


@dataclasses.dataclass
class RefusalCounter:
    """The stock strategy, counting the buyers the database refused."""

    inner: StockKeeper
    refused: int = 0

    @property
    def name(self) -> str:
        return self.inner.name

    async def take(self, stock: StockRepository, counts: dict[int, int]) -> None:
        try:
            await self.inner.take(stock, counts)
        except InsufficientStock:
            self.refused += 1
            raise


@pytest.fixture
async def gate(redis_url: str) -> AsyncIterator[RedisStockGate]:
    """One client (one pool) shared by every buyer, as in the shop; a connection for each buyer."""
    client = Redis.from_url(redis_url, max_connections=BUYERS)
    yield RedisStockGate(client)
    await client.aclose()


async def scalar(container: Container, query: Any) -> Any:
    async with container.engine().connect() as conn:
        return (await conn.execute(query)).scalar_one()


@pytest.mark.parametrize("strategy", ["conditional", "pessimistic", "optimistic"])
async def test_flash_sale_behind_the_gate_sells_exactly_the_stock(
    strategy: str, mysql: Container, clock: FixedClock, gate: RedisStockGate, record_property: Any
) -> None:
    shop = OrderingShop(mysql, clock, strategy=strategy, gate=gate)
    database = RefusalCounter(shop.checkout.stock)
    shop.checkout = dataclasses.replace(shop.checkout, stock=database)
    sku = await shop.given_sku(price="1999.00", stock=STOCK)
    people = [await shop.given_buyer() for _ in range(BUYERS)]
    assert await StockGates(uow=mysql.uow, gate=gate).open([sku.id]) == {sku.id: STOCK}

    sale = await flash_sale(shop, people, sku.id)
    placed, refused, elapsed = sale.placed, sale.refused, sale.seconds

    assert (len(placed), len(refused)) == (STOCK, BUYERS - STOCK)
    assert all(r.code == "insufficient_stock" and r.facts["available"] == 0 for r in refused)
    assert database.refused == 0  # every refusal was the gate's
    assert len({o.user_id for o in placed}) == STOCK
    after = await shop.sku(sku.id)
    assert (after.stock, after.sales) == (0, STOCK)
    assert await gate.tokens() == {sku.id: 0}
    assert await scalar(mysql, select(func.count()).select_from(orders)) == STOCK
    assert await scalar(mysql, select(func.sum(order_lines.c["count"]))) == STOCK
    report = await StockGates(uow=mysql.uow, gate=gate).reconcile()
    assert report.changed == []  # tokens and MySQL agree

    print(f"\nflash sale behind the gate [{strategy}]: {len(placed)} orders of {BUYERS} in {elapsed:.2f} s")
    record_property(f"flash_sale_gate_{strategy}_seconds", f"{elapsed:.3f}")


async def test_cancellations_during_the_sale_come_back_as_tokens(
    mysql: Container, clock: FixedClock, gate: RedisStockGate
) -> None:
    """Buyers and cancellations at once: whatever the interleaving, tokens end equal to MySQL's stock."""
    shop = OrderingShop(mysql, clock, gate=gate)
    sku = await shop.given_sku(stock=20)
    first = [await shop.given_buyer() for _ in range(20)]
    await StockGates(uow=mysql.uow, gate=gate).open([sku.id])
    bought = [await shop.buy(user, address, sku.id) for user, address in first]
    assert await gate.tokens() == {sku.id: 0}
    more = [await shop.given_buyer() for _ in range(40)]
    results = await asyncio.gather(
        *(shop.orders.cancel(o.user_id, o.id) for o in bought[:10]),
        *(shop.buy(user, address, sku.id) for user, address in more),
        return_exceptions=True,
    )
    assert all(isinstance(r, Order | InsufficientStock) for r in results), results
    sold_again = [r for r in results[10:] if isinstance(r, Order)]
    after = await shop.sku(sku.id)
    assert after.stock == 10 - len(sold_again) >= 0
    assert await gate.tokens() == {sku.id: after.stock}


async def test_when_the_gate_runs_out_of_connections_mysql_still_sells_exactly_the_stock(
    mysql: Container, clock: FixedClock, redis_url: str
) -> None:
    """The default pool (100 connections) for 200 buyers: some skip the gate, none is oversold."""
    client = Redis.from_url(redis_url)
    try:
        gate = RedisStockGate(client)
        shop = OrderingShop(mysql, clock, gate=gate)
        sku = await shop.given_sku(stock=STOCK)
        people = [await shop.given_buyer() for _ in range(BUYERS)]
        gates = StockGates(uow=mysql.uow, gate=gate)
        await gates.open([sku.id])
        results = await asyncio.gather(
            *(shop.buy(user, address, sku.id) for user, address in people), return_exceptions=True
        )
        assert all(isinstance(r, Order | InsufficientStock) for r in results), results
        assert len([r for r in results if isinstance(r, Order)]) == STOCK
        assert (await shop.sku(sku.id)).stock == 0
        tokens = (await gate.tokens())[sku.id]
        assert tokens >= 0  # buyers who skipped the gate took no tokens: over-admission, harmless
        report = await gates.reconcile()
        assert report.changed == ([GateChange(sku.id, tokens, 0)] if tokens else [])
        assert await gate.tokens() == {sku.id: 0}
    finally:
        await client.aclose()
