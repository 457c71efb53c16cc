"""A real `jiadian worker` killed with SIGKILL in the middle of a task, on the Redis broker.

The task is the shop's own ExpireOrder. It is made slow by the database, not by test code: the test
holds a row lock on the order's sku, so the worker's expiry (order row updated, restock waiting for
the lock) hangs mid-transaction. SIGKILL then takes the worker down with its message taken but not
acknowledged. Dramatiq's Redis broker gives such a message back once the dead worker's heartbeat is
older than `broker_heartbeat_timeout_seconds` (60 s by default, 3 s here; see the README); a second
worker runs it, and the stock comes back exactly once.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis
from sqlalchemy import select, text

from jiadian import wiring
from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql.tables import skus
from jiadian.adapters.tasks.broker import DramatiqTaskQueue
from jiadian.application.tasks import ExpireOrder
from jiadian.container import Container
from jiadian.domain.ordering import OrderStatus
from tests.conftest import settings_for
from tests.faults.conftest import Tally
from tests.faults.support import RedisServer, WorkerProcess, facts, seed, subprocess_env
from tests.ordering_support import OrderingShop

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

NAMESPACE = "jiadian-tasks"


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 60) -> None:
    """Poll `check` (an upper bound against hanging, not a measure)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def waiting_for_locks(truth: Container, database: str) -> int:
    """Transactions of this test's database waiting for a row lock."""
    async with truth.engine().connect() as conn:
        return int(
            (
                await conn.execute(
                    text(
                        "SELECT COUNT(*) FROM information_schema.innodb_trx t "
                        "JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
                        "WHERE p.db = :db AND t.trx_state = 'LOCK WAIT'"
                    ),
                    {"db": database},
                )
            ).scalar_one()
        )


async def open_transactions(truth: Container, database: str) -> int:
    async with truth.engine().connect() as conn:
        return int(
            (
                await conn.execute(
                    text(
                        "SELECT COUNT(*) FROM information_schema.innodb_trx t "
                        "JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
                        "WHERE p.db = :db AND p.id <> CONNECTION_ID()"
                    ),
                    {"db": database},
                )
            ).scalar_one()
        )


async def test_a_worker_killed_mid_task_its_message_is_redelivered_and_applied_once(
    mysql: Container, mysql_database: str, private_redis: RedisServer, tmp_path: Path, tally: Tally
) -> None:
    database = urlsplit(mysql_database).path.lstrip("/")
    queue = f"faults_{secrets.token_hex(4)}"
    placed_at = datetime.now(UTC) - timedelta(days=2)  # due for expiry by the worker's own clock
    shop = OrderingShop(mysql, FixedClock(placed_at))
    seeded = await seed(mysql, stock=10)
    order = await shop.buy(seeded.user_id, seeded.address_id, seeded.sku_id, 3)
    before = await facts(mysql.engine(), seeded)
    assert before.stock == 7

    env = subprocess_env(
        database_url=mysql_database,
        database_pool_size=2,
        redis_url=private_redis.url,
        broker="redis",
        task_queue_name=queue,
        var_dir=tmp_path,
        sweep_interval_seconds=3600,  # no sweep: only the message can expire the order
        broker_heartbeat_timeout_seconds=3,
        broker_maintenance_chance=1_000_000,  # every broker call looks for dead workers
    )
    sender = wiring.task_queue(
        settings_for(tmp_path, broker="redis", redis_url=private_redis.url, task_queue_name=queue), lambda: {}
    )
    assert isinstance(sender, DramatiqTaskQueue)
    redis = Redis.from_url(private_redis.url)
    first = WorkerProcess(env, tmp_path / "worker-1.log")
    second: WorkerProcess | None = None
    try:
        await asyncio.to_thread(first.wait_started)

        # The test holds the sku's row: the worker's restock will wait for it.
        async with mysql.engine().connect() as lock:
            await lock.begin()
            await lock.execute(select(skus.c.stock).where(skus.c.id == seeded.sku_id).with_for_update())
            await sender.send(ExpireOrder(order.id))

            async def worker_is_stuck() -> bool:
                return await waiting_for_locks(mysql, database) == 1

            await until(worker_is_stuck, "the worker to wait for the sku's row lock, mid-task")
            taken = [key async for key in redis.scan_iter(f"{NAMESPACE}:__acks__.*.{queue}")]
            assert len(taken) == 1
            assert await redis.scard(taken[0]) == 1  # the message: taken, not acknowledged
            first.kill()
            tally.fault("worker SIGKILLed mid-task (ExpireOrder, mid-transaction)")
            await lock.rollback()

        async def orphan_rolled_back() -> bool:
            return await open_transactions(mysql, database) == 0

        await until(orphan_rolled_back, "the dead worker's transaction to be rolled back")
        assert await facts(mysql.engine(), seeded) == before  # nothing half-applied
        assert (await shop.fulfilment.show(order.id)).status is OrderStatus.AWAITING_PAYMENT
        tally.verified("a worker killed mid-task leaves nothing half-applied")

        second = WorkerProcess(env, tmp_path / "worker-2.log")
        await asyncio.to_thread(second.wait_started)

        async def expired() -> bool:
            return (await shop.fulfilment.show(order.id)).status is OrderStatus.CANCELLED

        await until(expired, "the redelivered message to expire the order")
        await asyncio.to_thread(sender.broker.join, queue, timeout=30_000)
        assert [key async for key in redis.scan_iter(f"{NAMESPACE}:__acks__.*.{queue}")] == []
        assert await redis.hlen(f"{NAMESPACE}:{queue}.msgs") == 0  # acknowledged this time
        after = await facts(mysql.engine(), seeded)
        assert (after.stock, after.sku_sales, after.sold) == (10, 0, 0)
        assert (await shop.fulfilment.show(order.id)).cancel_reason == "expired"

        # Delivered once more (a duplicate): nothing changes.
        await sender.send(ExpireOrder(order.id))

        async def drained() -> bool:
            return await redis.hlen(f"{NAMESPACE}:{queue}.msgs") == 0

        await until(drained, "the duplicate to be consumed")
        assert await facts(mysql.engine(), seeded) == after
        tally.verified("the message was redelivered to another worker and applied exactly once")
    finally:
        first.stop()
        if second is not None:
            await asyncio.to_thread(second.stop)
        await sender.close()
        await redis.aclose()
