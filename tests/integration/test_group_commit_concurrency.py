"""Group commit on MariaDB: concurrent orders of a process placed together, in one transaction per batch.

Asserted by outcome, never by speed: stock + sold = initial on every sku, one answer per buyer, the
buyers served in arrival order, keys honoured within a batch, and a batch whose transaction fails (a
real deadlock) leaves every order placed once or refused.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, text
from tests.ordering_support import OrderingShop

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql.ordering import SqlOrderRepository
from jiadian.adapters.sql.tables import banners, order_lines, orders, products, skus
from jiadian.application.checkout import CheckoutRequest
from jiadian.application.ordering_ports import StockLevel
from jiadian.application.stock import allot
from jiadian.container import Container
from jiadian.domain.catalog import Sku
from jiadian.domain.errors import InsufficientStock
from jiadian.domain.ordering import Order

pytestmark = [pytest.mark.mysql, pytest.mark.slow]

STRATEGIES = ["conditional", "pessimistic", "optimistic"]
BUYERS = 200
STOCK = 60


@pytest.fixture
def batch_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of orders each `add_many` wrote (one call per batch that placed any)."""
    sizes: list[int] = []
    add_many = SqlOrderRepository.add_many

    async def counting(self: SqlOrderRepository, orders_and_keys: list[tuple[Order, str | None]]) -> None:
        await add_many(self, orders_and_keys)
        sizes.append(len(orders_and_keys))

    monkeypatch.setattr(SqlOrderRepository, "add_many", counting)
    return sizes


async def sold_per_sku(mysql: Container) -> dict[int, int]:
    async with mysql.engine().connect() as conn:
        rows = await conn.execute(
            select(order_lines.c.sku_id, func.sum(order_lines.c["count"])).group_by(order_lines.c.sku_id)
        )
        return {sku_id: int(n) for sku_id, n in rows}


async def three_skus(shop: OrderingShop) -> list[Sku]:
    a = await shop.given_sku(stock=STOCK)
    b = await shop.given_sku(stock=STOCK, product_id=a.product_id)  # two skus of one product
    c = await shop.given_sku(stock=STOCK)
    return [a, b, c]


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_200_buyers_of_3_skus_are_served_in_arrival_order_and_stock_adds_up(
    strategy: str, mysql: Container, clock: FixedClock, batch_sizes: list[int]
) -> None:
    shop = OrderingShop(mysql, clock, strategy=strategy, group_commit=True, group_commit_max=32)
    chosen = await three_skus(shop)
    rng = random.Random(18)
    people = [await shop.given_buyer() for _ in range(BUYERS)]
    wants: list[dict[int, int]] = []
    for user, _address in people:
        lines = {sku.id: rng.randint(1, 2) for sku in rng.sample(chosen, rng.randint(1, 3))}
        for sku_id, count in lines.items():
            await shop.carts.add(user, sku_id, count, limit=STOCK)
        wants.append(lines)

    results = await asyncio.gather(
        *(
            shop.checkout.place(user, CheckoutRequest(sku_ids=tuple(lines)), address_id=address)
            for (user, address), lines in zip(people, wants, strict=True)
        ),
        return_exceptions=True,
    )

    assert [r for r in results if not isinstance(r, Order | InsufficientStock)] == []
    placed = [r for r in results if isinstance(r, Order)]
    # Served in arrival order while stock lasted: exactly the buyers a first-come allotment serves.
    levels = {sku.id: StockLevel(sku.id, STOCK, 0) for sku in chosen}
    expected, _totals = allot(wants, levels)
    assert [isinstance(r, Order) for r in results] == [refusal is None for refusal in expected]
    assert [r.facts["sku_id"] for r in results if isinstance(r, InsufficientStock)] == [
        refusal.facts["sku_id"] for refusal in expected if refusal is not None
    ]
    assert len(batch_sizes) < len(placed)
    assert max(batch_sizes) > 1
    assert sum(batch_sizes) == len(placed)

    sold = await sold_per_sku(mysql)
    for sku in chosen:
        after = await shop.sku(sku.id)
        assert after.stock + sold.get(sku.id, 0) == STOCK, sku.id
        assert after.sales == sold.get(sku.id, 0)
        assert after.stock >= 0
    a, b, c = chosen
    assert await shop.product_sales(a.product_id) == sold.get(a.id, 0) + sold.get(b.id, 0)
    assert await shop.product_sales(c.product_id) == sold.get(c.id, 0)
    async with mysql.engine().connect() as conn:
        per_buyer = (
            await conn.execute(select(orders.c.user_id, func.count()).group_by(orders.c.user_id))
        ).all()
        assert (await conn.execute(select(func.count()).select_from(orders))).scalar_one() == len(placed)
    assert all(n == 1 for _user, n in per_buyer)  # one answer, one order at most, per buyer
    for order, lines in ((r, w) for r, w in zip(results, wants, strict=True) if isinstance(r, Order)):
        assert {line.sku_id: line.count for line in order.lines} == lines
        assert all(line.id > 0 for line in order.lines)


async def test_one_key_sent_many_times_into_one_batch_places_one_order(
    mysql: Container, clock: FixedClock, batch_sizes: list[int]
) -> None:
    shop = OrderingShop(mysql, clock, group_commit=True)
    sku = await shop.given_sku(stock=6)
    user, address = await shop.given_buyer()
    others = [await shop.given_buyer() for _ in range(4)]
    earlier = await shop.buy(user, address, sku.id, 1, idempotency_key="placed-before")
    batch_sizes.clear()

    results = await asyncio.gather(
        *(shop.buy(user, address, sku.id, 1, idempotency_key="double-click") for _ in range(10)),
        *(shop.buy(u, a, sku.id, 1) for u, a in others[:2]),
        shop.buy(user, address, sku.id, 1, idempotency_key="placed-before"),
        *(shop.buy(u, a, sku.id, 1) for u, a in others[2:]),
        return_exceptions=True,
    )

    assert all(isinstance(r, Order) for r in results), results
    keyed = [r for r in results[:10] if isinstance(r, Order)]
    assert len({o.id for o in keyed}) == 1
    assert results[12].id == earlier.id  # type: ignore[union-attr]
    assert batch_sizes[0] == 5  # the key's first request and the four other buyers, together
    async with mysql.engine().connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(orders))).scalar_one() == 6
    after = await shop.sku(sku.id)
    assert (after.stock, after.sales) == (0, 6)


async def test_a_batch_that_loses_a_deadlock_places_every_order_once_alone(
    mysql: Container, clock: FixedClock, batch_sizes: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    """A real deadlock: another transaction holds the product's row and then asks for the sku's, which
    the batch holds while it waits for the product's. MariaDB rolls the smaller one — the batch — back."""
    shop = OrderingShop(mysql, clock, group_commit=True)
    sku = await shop.given_sku(stock=100)
    people = [await shop.given_buyer() for _ in range(20)]

    async with mysql.engine().connect() as blocker:
        await blocker.begin()
        # Heavier than any batch here (MariaDB picks the transaction that changed fewer rows as the victim).
        await blocker.execute(
            insert(banners),
            [
                {"name": f"b{n}", "image": "", "active": False, "position": n, "created_at": clock.now()}
                for n in range(500)
            ],
        )
        await blocker.execute(text("UPDATE products SET sales = sales WHERE id = :p"), {"p": sku.product_id})
        with caplog.at_level(logging.WARNING, logger="jiadian.application.checkout"):
            sale = asyncio.gather(*(shop.buy(u, a, sku.id) for u, a in people), return_exceptions=True)
            sale_task = asyncio.ensure_future(sale)
            await wait_for_lock_wait(mysql)  # the batch holds the sku, waits for the product
            await blocker.execute(text("UPDATE skus SET stock = stock WHERE id = :s"), {"s": sku.id})
            await blocker.rollback()
            results = await asyncio.wait_for(sale_task, timeout=60)

    assert any("failed: placing them one by one" in r.getMessage() for r in caplog.records)
    assert all(isinstance(r, Order) for r in results), results
    assert len({r.id for r in results if isinstance(r, Order)}) == 20
    after = await shop.sku(sku.id)
    assert (after.stock, after.sales) == (80, 20)
    assert await shop.product_sales(sku.product_id) == 20
    async with mysql.engine().connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(orders))).scalar_one() == 20
        assert (await conn.execute(select(func.sum(products.c.sales)))).scalar_one() == 20
        assert (await conn.execute(select(func.sum(skus.c.sales)))).scalar_one() == 20


async def wait_for_lock_wait(mysql: Container, timeout: float = 30) -> None:
    """Until a statement of the batch waits on the products row (the processlist shows it running)."""
    query = text(
        "SELECT COUNT(*) FROM information_schema.processlist "
        "WHERE db = DATABASE() AND info LIKE 'UPDATE products SET sales=(products.sales +%'"
    )
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        async with mysql.engine().connect() as conn:
            if (await conn.execute(query)).scalar_one() > 0:
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the batch never waited for the products row")


@contextmanager
def statements(mysql: Container) -> Iterator[list[str]]:
    """The statements the engine sends while the block runs (an executemany counts once)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split()[0].upper() if statement.strip() else statement)

    def commit(_conn: Any) -> None:
        seen.append("COMMIT")

    engine = mysql.engine().sync_engine
    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "commit", commit)


async def test_a_batch_costs_the_statements_of_one_order(mysql: Container, clock: FixedClock) -> None:
    """Placed one by one, an order is 6 statements and a commit; a batch of 30 on one sku is 7 and a commit."""
    alone = OrderingShop(mysql, clock)
    together = OrderingShop(mysql, clock, group_commit=True)
    sku = await alone.given_sku(stock=100)
    people = [await alone.given_buyer() for _ in range(31)]

    with statements(mysql) as one_by_one:
        await alone.buy(*people[0], sku.id, idempotency_key="k-0")
    with statements(mysql) as batch:
        placed = await asyncio.gather(
            *(together.buy(u, a, sku.id, idempotency_key=f"k-{u}") for u, a in people[1:])
        )

    assert len(placed) == 30
    assert one_by_one == ["SELECT", "SELECT", "INSERT", "INSERT", "UPDATE", "UPDATE", "COMMIT"]
    # Keys taken?, addresses, skus; stock (one UPDATE per sku); orders; lines; product sales; commit.
    assert batch == ["SELECT", "SELECT", "SELECT", "UPDATE", "INSERT", "INSERT", "UPDATE", "COMMIT"]
    print(f"\none order: {len(one_by_one)} statements; a batch of 30: {len(batch)}")
