"""Tasks through dramatiq on the real Redis and RabbitMQ brokers, run by the worker in this process."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from tests.accounts_support import delete_rabbitmq_queues, eventually
from tests.conftest import settings_for

from jiadian.adapters.memory.mail import MemoryMailer
from jiadian.adapters.sql.migrate import upgrade
from jiadian.adapters.tasks.broker import DramatiqTaskQueue, rabbitmq_broker, redis_broker
from jiadian.application.accounts import DeliverVerificationCode
from jiadian.application.tasks import ExpireOrder, QueueDepth, SendVerificationCode, ShipOrder
from jiadian.container import Container, build_container, shutdown
from jiadian.domain.errors import ServiceUnavailable
from jiadian.entrypoints.worker import NoBroker, TaskWorker
from jiadian.settings import Settings


@pytest.fixture(
    params=[
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("rabbitmq", marks=pytest.mark.rabbitmq),
    ]
)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for one broker, with a queue of this test's own."""
    queue = f"jiadian_t_{secrets.token_hex(4)}"
    common: dict[str, Any] = {"broker": request.param, "task_queue_name": queue, "sweep_interval_seconds": 1}
    if request.param == "redis":
        yield settings_for(tmp_path, redis_url=request.getfixturevalue("redis_url"), **common)
        return
    url = request.getfixturevalue("rabbitmq_url")
    yield settings_for(tmp_path, rabbitmq_url=url, **common)
    delete_rabbitmq_queues(url, queue)


@dataclass
class Probe:
    """Records where handlers and periodic jobs ran, and what the database said to them."""

    loops: dict[str, set[int]] = field(default_factory=lambda: {"task": set(), "periodic": set()})
    orders: list[str] = field(default_factory=list)
    user_counts: list[int] = field(default_factory=list)
    ticks: int = 0


@dataclass
class World:
    shop: Container  # the sending side (the web process)
    worker: Container  # the worker's own container
    mailer: MemoryMailer
    probe: Probe


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    shop, worker_container = build_container(settings), build_container(settings)
    await upgrade(shop.engine())
    mailer, probe = MemoryMailer(), Probe()

    async def expire(task: ExpireOrder) -> None:
        probe.loops["task"].add(id(asyncio.get_running_loop()))
        async with worker_container.uow() as uow:  # the worker's engine, on the worker's loop
            probe.user_counts.append(len(await uow.users.list(0, 100)))
        probe.orders.append(task.order_id)

    async def tick() -> None:
        probe.loops["periodic"].add(id(asyncio.get_running_loop()))
        probe.ticks += 1

    worker_container.task_handlers.override(
        providers.Dict(
            {
                SendVerificationCode: providers.Object(DeliverVerificationCode(mailer)),
                ExpireOrder: providers.Object(expire),
            }
        )
    )
    worker_container.periodic_jobs.override(providers.List(providers.Object(tick)))
    worker = TaskWorker(worker_container, threads=2, worker_timeout_ms=100)
    worker.start()
    try:
        yield World(shop, worker_container, mailer, probe)
    finally:
        await asyncio.to_thread(worker.stop)
        await shutdown(shop)


async def test_a_task_sent_by_the_shop_runs_in_the_worker(world: World) -> None:
    await world.shop.task_queue().send(SendVerificationCode("li@example.com", "Ab3dE9"))
    mail = await eventually(lambda: world.mailer.to("li@example.com"), what="the mail")
    assert "Ab3dE9" in mail[0].body


async def test_handlers_use_the_workers_own_database_engine_and_loop(world: World) -> None:
    await world.shop.accounts().create_user("buyer", "buyer@example.com", "secret-123")
    await world.shop.task_queue().send(ExpireOrder("o1"))
    await world.shop.task_queue().send(ExpireOrder("o2"))
    await eventually(lambda: len(world.probe.orders) == 2, what="both tasks")
    assert sorted(world.probe.orders) == ["o1", "o2"]
    assert world.probe.user_counts == [1, 1]
    await eventually(lambda: world.probe.ticks >= 2, what="two periodic rounds")
    assert world.probe.loops["task"] == world.probe.loops["periodic"]
    assert len(world.probe.loops["task"]) == 1


async def test_a_delayed_task_waits_for_its_delay(world: World) -> None:
    await world.shop.task_queue().send(SendVerificationCode("later@example.com", "Later1"), delay_seconds=1.5)
    await world.shop.task_queue().send(SendVerificationCode("now@example.com", "NowNow"))
    await eventually(lambda: world.mailer.to("now@example.com"), what="the undelayed mail")
    assert world.mailer.to("later@example.com") == []
    await eventually(lambda: world.mailer.to("later@example.com"), what="the delayed mail")


async def test_a_redelivered_task_is_harmless(world: World, caplog: pytest.LogCaptureFixture) -> None:
    task = SendVerificationCode("li@example.com", "Ab3dE9")
    await world.shop.task_queue().send(task)
    await world.shop.task_queue().send(task)
    await eventually(lambda: len(world.mailer.to("li@example.com")) == 2, what="both deliveries")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_task_without_a_handler_is_an_error_not_retried(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await world.shop.task_queue().send(ShipOrder("o9"))
    await world.shop.task_queue().send(SendVerificationCode("after@example.com", "After1"))
    await eventually(lambda: world.mailer.to("after@example.com"), what="the next task")
    await eventually(lambda: "no handler for ShipOrder" in caplog.text, what="the error in the log")
    assert "Retrying" not in caplog.text


async def test_the_broker_answers_a_ping_and_the_queue_still_delivers_after_it(world: World) -> None:
    queue = world.shop.task_queue()
    assert await queue.ping() is None
    await queue.send(SendVerificationCode("after-ping@example.com", "Ping01"))
    mail = await eventually(
        lambda: world.mailer.to("after-ping@example.com"), what="the mail sent after a ping"
    )
    assert "Ping01" in mail[0].body


@pytest.mark.parametrize(
    "queue",
    [
        pytest.param(lambda: redis_broker("redis://127.0.0.1:1/0"), id="redis"),
        pytest.param(lambda: rabbitmq_broker("amqp://guest:guest@127.0.0.1:1/%2F"), id="rabbitmq"),
    ],
)
async def test_a_broker_that_does_not_answer(queue: Any) -> None:
    tasks = DramatiqTaskQueue(queue(), "jiadian_unreachable")
    with pytest.raises(Exception):
        await tasks.ping()
    with pytest.raises(ServiceUnavailable):
        await tasks.send(SendVerificationCode("li@example.com", "Ab3dE9"))
    await tasks.close()


def test_no_worker_for_the_inline_broker(tmp_path: Path) -> None:
    with pytest.raises(NoBroker):
        TaskWorker(build_container(settings_for(tmp_path)))


@pytest.mark.redis
async def test_sends_to_the_redis_broker_go_on_the_event_loop_where_dramatiq_puts_them(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No thread per send; the message lies where `RedisBroker.enqueue` would put it (delay queue, eta)."""
    from dramatiq.message import Message
    from redis.asyncio import Redis

    queue_name = f"jiadian_t_{secrets.token_hex(4)}"
    tasks = DramatiqTaskQueue(redis_broker(redis_url), queue_name, redis_url=redis_url)

    async def no_thread(call: Any) -> Any:
        raise AssertionError("sent through the thread")

    monkeypatch.setattr(tasks, "_in_thread", no_thread)
    await tasks.send(ExpireOrder("o1"), delay_seconds=60)
    await tasks.send(ShipOrder("o2"))
    await tasks.ping()

    client = Redis.from_url(redis_url)
    try:
        namespace = tasks.broker.namespace  # type: ignore[attr-defined]
        delayed = await client.lrange(f"{namespace}:{queue_name}.DQ", 0, -1)
        now = await client.lrange(f"{namespace}:{queue_name}", 0, -1)
        assert (len(delayed), len(now)) == (1, 1)
        message = Message.decode(await client.hget(f"{namespace}:{queue_name}.DQ.msgs", delayed[0]))
        assert (message.actor_name, message.queue_name, message.args) == (
            "jiadian_task",
            f"{queue_name}.DQ",
            ("ExpireOrder", {"order_id": "o1"}),
        )
        assert 55_000 < message.options["eta"] - message.message_timestamp <= 61_000
        assert message.options["redis_message_id"] == delayed[0].decode()
        assert (
            Message.decode(await client.hget(f"{namespace}:{queue_name}.msgs", now[0])).args[0] == "ShipOrder"
        )
    finally:
        await client.aclose()
        monkeypatch.undo()
        await tasks.close()


@pytest.mark.redis
async def test_many_tasks_go_to_the_redis_broker_in_one_round_trip(redis_url: str) -> None:
    """A batch of orders' expiries: every message where `enqueue` puts it, in one pipelined round trip."""
    from dramatiq.message import Message
    from redis.asyncio import Redis

    queue_name = f"jiadian_t_{secrets.token_hex(4)}"
    tasks = DramatiqTaskQueue(redis_broker(redis_url), queue_name, redis_url=redis_url)
    sender = tasks._sender
    assert sender is not None
    dispatched: list[Any] = []
    dispatch = sender._dispatch

    async def counted(*args: Any, **kwargs: Any) -> Any:
        dispatched.append(kwargs.get("client"))
        return await dispatch(*args, **kwargs)

    sender._dispatch = counted  # type: ignore[method-assign]
    await tasks.send_many([ExpireOrder(f"o{n}") for n in range(5)], delay_seconds=60)

    client = Redis.from_url(redis_url)
    try:
        namespace = tasks.broker.namespace  # type: ignore[attr-defined]
        delayed = await client.lrange(f"{namespace}:{queue_name}.DQ", 0, -1)
        assert len(delayed) == 5
        orders = [
            Message.decode(await client.hget(f"{namespace}:{queue_name}.DQ.msgs", m)).args[1]["order_id"]
            for m in delayed
        ]
        assert sorted(orders) == [f"o{n}" for n in range(5)]
        assert len(dispatched) == 5
        assert all(c is not None for c in dispatched)
    finally:
        await client.aclose()
        await tasks.close()


@pytest.mark.redis
async def test_the_queue_depth_on_redis(redis_url: str) -> None:
    """What `jiadian status` and `jiadian_task_queue_depth` read (no worker takes the messages here)."""
    queue_name = f"jiadian_t_{secrets.token_hex(4)}"
    await _depth_after_three_sends(
        DramatiqTaskQueue(redis_broker(redis_url), queue_name, redis_url=redis_url)
    )


@pytest.mark.rabbitmq
async def test_the_queue_depth_on_rabbitmq(rabbitmq_url: str) -> None:
    queue_name = f"jiadian_t_{secrets.token_hex(4)}"
    try:
        await _depth_after_three_sends(DramatiqTaskQueue(rabbitmq_broker(rabbitmq_url), queue_name))
    finally:
        delete_rabbitmq_queues(rabbitmq_url, queue_name)


async def _depth_after_three_sends(tasks: DramatiqTaskQueue) -> None:
    try:
        await tasks.send(ExpireOrder("o1"), delay_seconds=600)
        await tasks.send(ShipOrder("o2"))
        await tasks.send(ShipOrder("o3"))
        await eventually_async(lambda: _depth_is(tasks, QueueDepth(ready=2, delayed=1, failed=0)))
    finally:
        await tasks.close()


async def _depth_is(tasks: DramatiqTaskQueue, expected: QueueDepth) -> bool:
    return await tasks.depth() == expected


async def eventually_async(check: Any, attempts: int = 50) -> None:
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the queue depth never reached what was sent")
