"""A known shop for the console's tests: the standard catalogue, two buyers and an operator, and orders of
every kind over two days of the shop (Asia/Shanghai) — built the same way on memory, SQLite and MariaDB.

The test clock starts at 2026-01-01 00:00 UTC, a Thursday, 08:00 in Shanghai. By the end:

| order | buyer | placed (Shanghai)  | what                                   | total   | status          |
|-------|-------|--------------------|----------------------------------------|---------|-----------------|
| o1    | alice | Thu 1 Jan 08:10    | OPPO (sku 5) ×1, wallet, shipped by boss | 3009.00 | 3 shipped      |
| o2    | bob   | Thu 1 Jan 09:00    | Redmi (sku 7) ×2, unpaid                | 4008.00 | 1 (expiring)    |
| o3    | alice | Fri 2 Jan 10:00    | fan (sku 9) ×1, wallet                  | 209.00  | 2 to ship       |
| o4    | bob   | Fri 2 Jan 11:00    | iPhone (sku 1) ×1, cancelled by boss    | 8898.00 | cancelled       |
| o5    | bob   | Fri 2 Jan 11:30    | MacBook (sku 10) ×1, Alipay started, cancelled by boss with its trade left open, then paid: kept for a refund | 15009.00 | cancelled |

Now is Fri 2 Jan 12:00 in Shanghai (04:00 UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jiadian.adapters.clock import FixedClock
from jiadian.application.accounts_ports import NewUser
from jiadian.container import Container
from jiadian.domain.audit import Actor
from jiadian.domain.ordering import Order
from tests.catalog_support import given_shop
from tests.ordering_support import OrderingShop

START = datetime(2026, 1, 1, tzinfo=UTC)


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of January 2026 in Shanghai (UTC+8), as UTC."""
    return START + timedelta(days=day - 1, hours=hour - 8, minutes=minute)


@dataclass
class World:
    container: Container
    clock: FixedClock
    shop: OrderingShop
    boss: Actor
    alice: int
    bob: int
    orders: dict[str, Order]


async def given_world(container: Container, clock: FixedClock) -> World:
    clock.set(START)
    await given_shop(container.catalog_admin(), clock)
    shop = OrderingShop(container, clock)
    alice, alice_address = await shop.given_buyer(balance="100000.00", name="alice")
    bob, bob_address = await shop.given_buyer(balance="100000.00", name="bob")
    async with container.uow() as uow:
        boss_user = await uow.users.add(NewUser("boss", "boss@example.com", "not-a-hash", is_admin=True))
        await uow.commit()
    boss = Actor.operator(boss_user.id, boss_user.username)
    fulfilment, orders = container.fulfilment(), container.orders()

    clock.set(shanghai(1, 8, 10))
    o1 = await shop.buy(alice, alice_address, 5)
    clock.set(shanghai(1, 8, 11))
    await shop.orders.pay(alice, o1.id, "wallet")
    clock.set(shanghai(1, 8, 20))
    await fulfilment.ship(o1.id, by=boss)
    clock.set(shanghai(1, 9))
    o2 = await shop.buy(bob, bob_address, 7, 2)

    clock.set(shanghai(2, 10))
    o3 = await shop.buy(alice, alice_address, 9)
    await shop.orders.pay(alice, o3.id, "wallet")
    clock.set(shanghai(2, 11))
    o4 = await shop.buy(bob, bob_address, 1)
    await fulfilment.cancel(o4.id, by=boss)
    clock.set(shanghai(2, 11, 30))
    o5 = await shop.buy(bob, bob_address, 10)
    await orders.pay(bob, o5.id, "alipay")
    await shop.fulfilment.cancel(o5.id, by=boss)  # leaves the trade open (the gateway did not answer)
    await container.payments().simulate_pay(o5.id)  # the money came anyway: kept for a refund

    clock.set(shanghai(2, 12))
    found = {}
    for label, order in (("o1", o1), ("o2", o2), ("o3", o3), ("o4", o4), ("o5", o5)):
        async with container.uow() as uow:
            current = await uow.orders.get(order.id)
        assert current is not None
        found[label] = current
    return World(container, clock, shop, boss, alice, bob, found)
