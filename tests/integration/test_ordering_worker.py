"""The order tasks through the real broker: dramatiq on Redis, consumed by a `TaskWorker` in this process.

A message delivered twice (a redelivery, or the same task sent twice) changes an order once.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from tests.conftest import settings_for
from tests.ordering_support import OrderingShop

from jiadian import wiring
from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql.migrate import upgrade
from jiadian.adapters.tasks.broker import DramatiqTaskQueue
from jiadian.application.tasks import ExpireOrder, ShipOrder
from jiadian.container import build_container, shutdown
from jiadian.domain.ordering import OrderStatus
from jiadian.entrypoints.worker import TaskWorker

pytestmark = [pytest.mark.redis, pytest.mark.slow]


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_redelivered_expiry_and_shipping_messages_act_once(
    redis_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    settings = settings_for(
        tmp_path, broker="redis", redis_url=redis_url, task_queue_name=f"t{secrets.token_hex(4)}"
    )

    # The shop's side: place two orders (their own scheduled messages are kept out of the broker).
    shop_container = build_container(settings)
    shop_container.clock.override(clock)
    await upgrade(shop_container.engine())
    shop = OrderingShop(shop_container, clock)
    sku = await shop.given_sku(stock=10)
    user, address = await shop.given_buyer(balance="1000.00")
    unpaid = await shop.buy(user, address, sku.id, 3)
    paid = await shop.buy(user, address, sku.id, 2)
    await shop.orders.pay(user, paid.id, "wallet")

    # The worker's side: its own container (built on the worker's loop), a day later.
    worker_container = build_container(settings)
    worker_container.clock.override(FixedClock(clock.now() + timedelta(days=1)))
    worker = TaskWorker(worker_container, threads=2)
    sender = wiring.task_queue(settings, lambda: {})
    assert isinstance(sender, DramatiqTaskQueue)
    worker.start()
    try:
        for task in (ExpireOrder(unpaid.id), ShipOrder(paid.id)):
            await sender.send(task)
            await sender.send(task)  # delivered again

        async def settled() -> bool:
            statuses = {o.id: o.status for o in (await shop.orders.list(user, None, 1, 10)).items}
            return statuses == {unpaid.id: OrderStatus.CANCELLED, paid.id: OrderStatus.SHIPPED}

        await until(settled, "the worker to expire one order and ship the other")
        await asyncio.to_thread(sender.broker.join, settings.task_queue_name, timeout=30_000)
        after = await shop.sku(sku.id)
        assert (after.stock, after.sales) == (8, 2)  # the 3 of the expired order came back once
        assert (await shop.orders.detail(user, unpaid.id)).cancel_reason == "expired"
    finally:
        await asyncio.to_thread(worker.stop)
        await sender.close()
        await shutdown(shop_container)
