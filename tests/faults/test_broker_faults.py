"""The broker (dramatiq on Redis) down when an order is placed: the order stands, the sweep expires it.

Cache, cart and sessions use a private redis-server directly; only the task queue goes through the
proxy, so the broker alone is down.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dependency_injector import providers
from redis.asyncio import Redis

from jiadian import wiring
from jiadian.adapters.clock import FixedClock
from jiadian.adapters.tasks.broker import DramatiqTaskQueue
from jiadian.container import Container, build_container
from jiadian.domain.ordering import OrderStatus
from tests.conftest import ShopClient, open_client, settings_for
from tests.faults.conftest import Tally
from tests.faults.proxy import FaultProxy
from tests.faults.support import PASSWORD, RedisServer, Seeded, facts, seed, via

pytestmark = pytest.mark.mysql


@dataclass
class World:
    truth: Container
    app: Container
    proxy: FaultProxy
    redis: RedisServer
    client: ShopClient
    seeded: Seeded
    clock: FixedClock
    queue: str

    async def place(self) -> dict[str, object]:
        response = await asyncio.wait_for(
            self.client.post(
                "/api/orders", json={"sku_ids": [self.seeded.sku_id], "address_id": self.seeded.address_id}
            ),
            timeout=60,  # a hang is a failure, not a wait (the broker's client has timeouts of its own)
        )
        assert response.status_code == 201, response.text
        body: dict[str, object] = response.json()
        return body

    async def queued_messages(self) -> int:
        """Messages of this test's queue in the broker (ready or delayed)."""
        client = Redis.from_url(self.redis.url)
        try:
            total = 0
            for name in (self.queue, f"{self.queue}.DQ"):
                total += int(await client.hlen(f"jiadian-tasks:{name}.msgs"))
            return total
        finally:
            await client.aclose()


@pytest.fixture
async def world(
    mysql: Container,
    mysql_database: str,
    tmp_path: Path,
    clock: FixedClock,
    private_redis: RedisServer,
    proxies: list[FaultProxy],
) -> AsyncIterator[World]:
    proxy = FaultProxy(private_redis.port).start()
    proxies.append(proxy)
    queue = f"faults_{secrets.token_hex(4)}"
    settings = settings_for(
        tmp_path,
        database_url=mysql_database,
        database_pool_size=2,
        redis_url=private_redis.url,  # cache, cart, sessions: straight to Redis
        broker="redis",
        task_queue_name=queue,
    )
    app = build_container(settings)
    app.clock.override(clock)
    # The task queue alone goes through the proxy (the same Redis, reached another way).
    proxied = settings.model_copy(update={"redis_url": via(private_redis.url, proxy.port)})
    app.task_queue.override(providers.Singleton(wiring.task_queue, proxied, app.task_handlers.provider))
    assert isinstance(app.task_queue(), DramatiqTaskQueue)
    seeded = await seed(mysql)
    async for client in open_client(app):
        await client.login("buyer", PASSWORD)
        response = await client.post("/api/cart/items", json={"sku_id": seeded.sku_id, "count": 2})
        assert response.status_code == 200, response.text
        yield World(mysql, app, proxy, private_redis, client, seeded, clock, queue)


async def check_order_stands_then_sweep_expires_it(world: World, order_id: str, tally: Tally) -> None:
    before_sweep = await facts(world.truth.engine(), world.seeded)
    assert (before_sweep.orders, before_sweep.orders_without_lines) == (1, 0)
    assert before_sweep.stock == world.seeded.stock - 2
    order = await world.app.fulfilment().show(order_id)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert await world.queued_messages() == 0  # the expiry never reached the broker
    tally.verified("the order stands (201, stock taken) although its expiry could not be scheduled")

    fulfilment = world.app.fulfilment()
    assert await fulfilment.expire_unpaid() == 0  # not due yet: the sweep leaves it
    world.clock.advance(hours=24, seconds=1)
    assert await fulfilment.expire_unpaid() == 1
    assert await fulfilment.expire_unpaid() == 0  # and only once
    expired = await fulfilment.show(order_id)
    assert (expired.status, expired.cancel_reason) == (OrderStatus.CANCELLED, "expired")
    after = await facts(world.truth.engine(), world.seeded)
    assert after.stock == world.seeded.stock
    assert (after.sku_sales, after.product_sales, after.sold) == (0, 0, 0)
    tally.verified("the sweep expires the unscheduled order 24 h later, restoring stock exactly once")


async def test_broker_refusing_when_an_order_is_placed(
    world: World, tally: Tally, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    world.proxy.refuse()
    tally.fault("broker (Redis) stopped when an order is placed")

    order = await world.place()

    assert "could not schedule" in caplog.text
    ready = await world.client.get("/ready")
    assert ready.status_code == 503, ready.text
    checks = ready.json()["checks"]
    assert checks["broker"].startswith("failed"), checks
    assert (checks["database"], checks["cache"]) == ("ok", "ok"), checks
    tally.verified("/ready 503 names the broker")
    world.proxy.accept()
    assert (await world.client.get("/ready")).status_code == 200
    await check_order_stands_then_sweep_expires_it(world, str(order["order_id"]), tally)


@pytest.mark.slow
async def test_broker_partitioned_when_an_order_is_placed(
    world: World, tally: Tally, caplog: pytest.LogCaptureFixture
) -> None:
    """Connections to the broker hang (no answer, no reset): placing still answers, and so does /ready."""
    caplog.set_level(logging.WARNING)
    assert (await world.client.get("/ready")).status_code == 200  # the task queue is connected
    world.proxy.pause()
    tally.fault("broker (Redis) partitioned when an order is placed")

    order = await world.place()

    assert "could not schedule" in caplog.text
    ready = await asyncio.wait_for(world.client.get("/ready"), timeout=60)
    assert ready.status_code == 503, ready.text
    assert ready.json()["checks"]["broker"].startswith("failed")
    world.proxy.drop_all()  # the partition heals as partitions do: the old connections are gone
    world.proxy.resume()
    assert (await asyncio.wait_for(world.client.get("/ready"), timeout=60)).status_code == 200
    tally.verified("a partitioned broker costs a timeout, not a hung request")
    await check_order_stands_then_sweep_expires_it(world, str(order["order_id"]), tally)
