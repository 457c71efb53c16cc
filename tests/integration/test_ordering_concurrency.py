"""Checkout and payment under real contention on MariaDB: no oversell, no negative wallet, no 500.

Concurrency is asserted by outcome (counts and sums), never by speed. Each flash sale prints how long
it took (run with -s to see it; it is also recorded as a junit property). The buyers share the `mysql`
fixture's pool (up to 40 connections: MariaDB allows 151, and other suites run beside this one);
the rest wait for a connection, well within the pool's timeout.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from sqlalchemy import func, select, text
from tests.ordering_support import OrderingShop, flash_sale

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql import retry as retry_module
from jiadian.adapters.sql.ordering import SqlStockRepository
from jiadian.adapters.sql.retry import DatabaseRetry
from jiadian.adapters.sql.tables import order_lines, orders, skus, wallet_ledger
from jiadian.application.checkout import CheckoutRequest
from jiadian.container import Container
from jiadian.domain.errors import InsufficientStock
from jiadian.domain.money import Money
from jiadian.domain.ordering import AlreadyPaid, IllegalTransition, Order, OrderStatus
from jiadian.domain.wallet import InsufficientBalance, balance_from

pytestmark = [pytest.mark.mysql, pytest.mark.slow]

STRATEGIES = ["conditional", "pessimistic", "optimistic"]
BUYERS = 200
STOCK = 50


@pytest.fixture
def counters(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often a transaction was retried, and how often an optimistic buyer fell back on a row lock."""
    seen = {"retries": 0, "locked_reads": 0}
    log_retry, levels = retry_module._log_retry, SqlStockRepository.levels

    def count_retry(state: Any) -> None:
        seen["retries"] += 1
        log_retry(state)

    async def count_levels(self: SqlStockRepository, sku_ids: list[int], *, lock: bool) -> Any:
        seen["locked_reads"] += lock
        return await levels(self, sku_ids, lock=lock)

    monkeypatch.setattr(retry_module, "_log_retry", count_retry)
    monkeypatch.setattr(SqlStockRepository, "levels", count_levels)
    return seen


async def buyers(shop: OrderingShop, n: int, balance: str = "0.00") -> list[tuple[int, int]]:
    return [await shop.given_buyer(balance=balance) for _ in range(n)]


async def scalar(container: Container, query: Any) -> Any:
    async with container.engine().connect() as conn:
        return (await conn.execute(query)).scalar_one()


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_flash_sale_sells_exactly_the_stock(
    strategy: str,
    mysql: Container,
    clock: FixedClock,
    counters: dict[str, int],
    record_property: Any,
) -> None:
    shop = OrderingShop(mysql, clock, strategy=strategy)
    sku = await shop.given_sku(price="1999.00", stock=STOCK)
    people = await buyers(shop, BUYERS)
    counters.update(retries=0, locked_reads=0)

    sale = await flash_sale(shop, people, sku.id)
    placed, refused, elapsed = sale.placed, sale.refused, sale.seconds

    assert (len(placed), len(refused)) == (STOCK, BUYERS - STOCK)
    assert all(r.facts["available"] == 0 for r in refused)
    assert len({o.user_id for o in placed}) == STOCK
    after = await shop.sku(sku.id)
    assert (after.stock, after.sales) == (0, STOCK)
    assert await shop.product_sales(sku.product_id) == STOCK
    assert await scalar(mysql, select(func.count()).select_from(orders)) == STOCK
    assert await scalar(mysql, select(func.sum(order_lines.c["count"]))) == STOCK

    note = (
        f"flash sale [{strategy}]: {BUYERS} buyers, stock {STOCK}: {len(placed)} orders in {elapsed:.2f} s "
        f"({counters['retries']} transaction retries, {counters['locked_reads']} locked reads)"
    )
    print(f"\n{note}")
    record_property(f"flash_sale_{strategy}_seconds", f"{elapsed:.3f}")


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_mixed_orders_and_cancellations_keep_stock_consistent(
    strategy: str, mysql: Container, clock: FixedClock, counters: dict[str, int]
) -> None:
    """Orders of several skus (two of one product) in every order, and cancellations, all at once."""
    shop = OrderingShop(mysql, clock, strategy=strategy)
    initial = 40
    a = await shop.given_sku(stock=initial)
    b = await shop.given_sku(stock=initial, product_id=a.product_id)
    c = await shop.given_sku(stock=initial)
    d = await shop.given_sku(stock=initial)
    everything = [a, b, c, d]
    rng = random.Random(5)
    people = await buyers(shop, 100)
    for user, _address in people:
        chosen = rng.sample(everything, rng.randint(2, 4))
        for sku in chosen:
            await shop.carts.add(user, sku.id, rng.randint(1, 2), limit=initial)

    async def buy(user: int, address: int) -> Order:
        lines = list((await shop.carts.lines(user)).items())
        rng.shuffle(lines)
        return await shop.checkout.place(
            user, CheckoutRequest(sku_ids=tuple(s for s, _ in lines)), address_id=address
        )

    first = await asyncio.gather(*(buy(u, a_) for u, a_ in people[:50]), return_exceptions=True)
    placed = [r for r in first if isinstance(r, Order)]
    to_cancel = placed[::2]
    second = await asyncio.gather(
        *(buy(u, a_) for u, a_ in people[50:]),
        *(shop.orders.cancel(o.user_id, o.id) for o in to_cancel),
        return_exceptions=True,
    )
    results = [*first, *second]
    unexpected = [r for r in results if not isinstance(r, Order | InsufficientStock)]
    assert unexpected == []
    assert len([r for r in results if isinstance(r, Order)]) > len(to_cancel)

    async with mysql.engine().connect() as conn:
        sold = dict(
            (
                await conn.execute(
                    select(order_lines.c.sku_id, func.sum(order_lines.c["count"]))
                    .join(orders, orders.c.id == order_lines.c.order_id)
                    .where(orders.c.status != OrderStatus.CANCELLED.value)
                    .group_by(order_lines.c.sku_id)
                )
            ).all()
        )
        stock = {
            r.id: (r.stock, r.sales)
            for r in await conn.execute(select(skus.c.id, skus.c.stock, skus.c.sales))
        }
    for sku in everything:
        assert stock[sku.id] == (initial - sold.get(sku.id, 0), sold.get(sku.id, 0)), sku.id
    assert await shop.product_sales(a.product_id) == sold.get(a.id, 0) + sold.get(b.id, 0)
    assert await shop.product_sales(c.product_id) == sold.get(c.id, 0)
    print(f"\nmixed [{strategy}]: {counters['retries']} transaction retries")


async def test_concurrent_wallet_payments_never_overdraw(mysql: Container, clock: FixedClock) -> None:
    shop = OrderingShop(mysql, clock)
    sku = await shop.given_sku(price="90.00", stock=100)
    user, address = await shop.given_buyer(balance="500.00")
    bills = [await shop.buy(user, address, sku.id) for _ in range(12)]  # 100.00 each with freight
    results = await asyncio.gather(
        *(shop.orders.pay(user, o.id, "wallet") for o in bills), return_exceptions=True
    )
    paid = [r for r in results if isinstance(r, Order)]
    short = [r for r in results if isinstance(r, InsufficientBalance)]
    assert (len(paid), len(short)) == (5, 7)
    assert await shop.balance(user) == Money.zero()
    async with mysql.uow() as uow:
        wallet = await uow.wallets.get(user)
        ledger = await uow.wallets.ledger(user)
        statuses = [(await uow.orders.get(o.id)).status for o in bills]  # type: ignore[union-attr]
    assert wallet is not None
    assert balance_from(ledger) == wallet.balance == Money.zero()
    assert wallet.total_consumed == Money.of("500.00")
    assert statuses.count(OrderStatus.AWAITING_SHIPMENT) == 5


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_one_idempotency_key_sent_many_times_at_once_places_one_order(
    strategy: str, mysql: Container, clock: FixedClock
) -> None:
    """The key's unique index decides (nothing is read first): every answer is the one order."""
    shop = OrderingShop(mysql, clock, strategy=strategy)
    sku = await shop.given_sku(stock=3)
    user, address = await shop.given_buyer()
    results = await asyncio.gather(
        *(shop.buy(user, address, sku.id, 1, idempotency_key="double-click") for _ in range(10)),
        return_exceptions=True,
    )
    assert all(isinstance(r, Order) for r in results), results
    assert len({r.id for r in results if isinstance(r, Order)}) == 1
    after = await shop.sku(sku.id)
    assert (after.stock, after.sales) == (2, 1)
    assert await scalar(mysql, select(func.count()).select_from(orders).where(orders.c.user_id == user)) == 1


async def test_paying_one_order_many_times_at_once_charges_once(mysql: Container, clock: FixedClock) -> None:
    shop = OrderingShop(mysql, clock)
    sku = await shop.given_sku(price="90.00")
    user, address = await shop.given_buyer(balance="1000.00")
    order = await shop.buy(user, address, sku.id)
    results = await asyncio.gather(
        *(shop.orders.pay(user, order.id, "wallet") for _ in range(10)), return_exceptions=True
    )
    assert len([r for r in results if isinstance(r, Order)]) == 1
    assert len([r for r in results if isinstance(r, AlreadyPaid)]) == 9
    assert await shop.balance(user) == Money.of("900.00")
    payments = select(func.count()).select_from(wallet_ledger).where(wallet_ledger.c.order_id == order.id)
    assert await scalar(mysql, payments) == 1


async def test_cancel_expire_and_operator_race_restores_stock_once(
    mysql: Container, clock: FixedClock
) -> None:
    shop = OrderingShop(mysql, clock)
    sku = await shop.given_sku(stock=10)
    user, address = await shop.given_buyer()
    racing = [await shop.buy(user, address, sku.id, 2) for _ in range(3)]
    clock.advance(hours=24)
    results = await asyncio.gather(
        *(
            call
            for o in racing
            for call in (
                shop.orders.cancel(user, o.id),
                shop.orders.cancel(user, o.id),
                shop.fulfilment.expire(o.id),
                shop.fulfilment.expire(o.id),
                shop.fulfilment.cancel(o.id),
            )
        ),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, Order) or r is True]
    assert len(winners) == 3
    assert all(isinstance(r, Order | bool | IllegalTransition) for r in results), results
    after = await shop.sku(sku.id)
    assert (after.stock, after.sales) == (10, 0)
    assert await shop.product_sales(sku.product_id) == 0


async def test_a_transaction_that_loses_a_deadlock_is_retried(mysql: Container, clock: FixedClock) -> None:
    shop = OrderingShop(mysql, clock)
    first, second = await shop.given_sku(stock=10), await shop.given_sku(stock=10)
    both_locked_one = asyncio.Barrier(2)
    tries = {"a": 0, "b": 0}

    def transfer(name: str, one: int, other: int) -> Any:
        async def attempt() -> None:
            tries[name] += 1
            async with mysql.engine().connect() as conn, conn.begin():
                await conn.execute(text("UPDATE skus SET stock = stock - 1 WHERE id = :id"), {"id": one})
                if tries[name] == 1:
                    await both_locked_one.wait()  # now each holds the row the other wants
                await conn.execute(text("UPDATE skus SET stock = stock - 1 WHERE id = :id"), {"id": other})

        return attempt

    retry = DatabaseRetry()
    await asyncio.gather(
        retry.run(transfer("a", first.id, second.id)), retry.run(transfer("b", second.id, first.id))
    )
    assert sorted(tries.values()) == [1, 2]  # the deadlock's victim ran again
    assert ((await shop.sku(first.id)).stock, (await shop.sku(second.id)).stock) == (8, 8)
