"""Tasks through dramatiq, on a Redis or a RabbitMQ broker.

One generic actor carries every task as (type name, fields); in the worker it hands them to a
`TaskDispatcher` over the handlers the container builds (`serve`). The actor is declared when the
queue is built, on the broker given to it — never at import, so no default broker is ever made.
Sending blocks on the broker's client, so it runs on a private thread (pika connections are
per thread: one thread keeps one connection).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.errors import DramatiqError
from dramatiq.middleware import AsyncIO
from pika.exceptions import AMQPError  # type: ignore[import-untyped]
from redis.exceptions import RedisError

from jiadian import logs
from jiadian.adapters.prometheus import task_failed
from jiadian.adapters.tasks.dispatch import TaskDispatcher, UnknownTask, encode
from jiadian.adapters.tasks.redis_send import AsyncRedisSender
from jiadian.application.tasks import QueueDepth, Task
from jiadian.domain.errors import ServiceUnavailable

log = logging.getLogger("jiadian.tasks")

ACTOR_NAME = "jiadian_task"
BROKER_ERRORS = (DramatiqError, RedisError, AMQPError, OSError)


def redis_broker(
    url: str,
    namespace: str = "jiadian-tasks",
    *,
    heartbeat_timeout_ms: int = 60_000,
    maintenance_chance: int = 1000,
) -> RedisBroker:
    """A worker killed mid-task leaves its message taken but unacknowledged; once the worker has been
    silent for `heartbeat_timeout_ms`, a live worker's queue maintenance (run on `maintenance_chance`
    per million broker calls) puts the message back, and it is delivered again."""
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=url,
        namespace=namespace,
        heartbeat_timeout=heartbeat_timeout_ms,
        maintenance_chance=maintenance_chance,
    )
    broker.add_middleware(AsyncIO())
    return broker


def rabbitmq_broker(url: str) -> RabbitmqBroker:
    broker = RabbitmqBroker(url=url, confirm_delivery=True)
    broker.add_middleware(AsyncIO())
    return broker


class DramatiqTaskQueue:
    def __init__(
        self,
        broker: dramatiq.Broker,
        queue_name: str = "jiadian",
        *,
        max_retries: int = 10,
        time_limit_ms: int = 5 * 60 * 1000,
        redis_url: str | None = None,
    ) -> None:
        """`redis_url` (the Redis broker's): send on the event loop (`AsyncRedisSender`), not on a thread."""
        self.broker = broker
        self.queue_name = queue_name
        self._sender = (
            AsyncRedisSender(broker, redis_url) if redis_url and isinstance(broker, RedisBroker) else None
        )
        self._dispatcher: TaskDispatcher | None = None
        self._actor = dramatiq.actor(
            actor_name=ACTOR_NAME,
            queue_name=queue_name,
            broker=broker,
            max_retries=max_retries,
            min_backoff=1000,
            max_backoff=5 * 60 * 1000,
            time_limit=time_limit_ms,
            throws=(UnknownTask,),  # a wiring error: retrying cannot help
        )(self._perform)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jiadian-broker")

    def serve(self, dispatcher: TaskDispatcher) -> None:
        """Run this queue's tasks with `dispatcher` (in the worker, on the worker's event loop)."""
        self._dispatcher = dispatcher

    async def _perform(self, type_name: str, fields: dict[str, Any], request_id: str | None = None) -> None:
        """Run one task, its log lines under the id of the request that scheduled it."""
        token = logs.request_id.set(request_id)
        try:
            if self._dispatcher is None:
                raise UnknownTask("this process serves no tasks: they run in `jiadian worker`")
            await self._dispatcher.dispatch_message(type_name, fields)
        except UnknownTask as exc:  # dramatiq would only log its class name; say what is wrong
            log.error("task %s dropped: %s", type_name, exc)
            task_failed(type_name)
            raise
        except Exception:
            task_failed(type_name)  # dramatiq retries it (or gives up: the dead-letter queue)
            raise
        finally:
            logs.request_id.reset(token)

    async def send(self, task: Task, delay_seconds: float = 0) -> None:
        type_name, fields = encode(task)
        delay = int(delay_seconds * 1000) if delay_seconds > 0 else None
        context = {"request_id": logs.request_id.get()}  # the task's log lines carry the request's id
        try:
            if self._sender is not None:
                message = self._actor.message_with_options(args=(type_name, fields), kwargs=context)
                await self._sender.enqueue(message, delay_ms=delay)
            else:
                await self._in_thread(
                    lambda: self._actor.send_with_options(
                        args=(type_name, fields), kwargs=context, delay=delay
                    )
                )
        except BROKER_ERRORS as exc:
            log.warning("task %s not queued: %s: %s", type_name, type(exc).__name__, exc)
            raise ServiceUnavailable("任务队列暂时不可用，请稍后再试") from exc

    async def send_many(self, tasks: list[Task], delay_seconds: float = 0) -> None:
        """On the Redis broker, every message in one pipelined round trip; else one by one."""
        if self._sender is None or len(tasks) < 2:
            for task in tasks:
                await self.send(task, delay_seconds)
            return
        delay = int(delay_seconds * 1000) if delay_seconds > 0 else None
        messages = [self._actor.message_with_options(args=encode(task)) for task in tasks]
        try:
            await self._sender.enqueue_many(messages, delay_ms=delay)
        except BROKER_ERRORS as exc:
            log.warning("%d tasks not queued: %s: %s", len(tasks), type(exc).__name__, exc)
            raise ServiceUnavailable("任务队列暂时不可用，请稍后再试") from exc

    async def ping(self) -> None:
        if self._sender is not None:
            await self._sender.ping()
            return
        await self._in_thread(self._ping)

    async def depth(self) -> QueueDepth:
        if self._sender is not None:
            return await self._sender.depth(self.queue_name)
        broker = self.broker
        if not isinstance(broker, RabbitmqBroker):
            raise NotImplementedError(f"no queue depth for {type(broker).__name__}")
        ready, delayed, failed = await self._in_thread(
            lambda: broker.get_queue_message_counts(self.queue_name)  # passive declares
        )
        return QueueDepth(ready=ready, delayed=delayed, failed=failed)

    async def close(self) -> None:
        if self._sender is not None:
            await self._sender.close()
        await self._in_thread(self._close)
        self._executor.shutdown(wait=False)

    async def _in_thread(self, call: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def _ping(self) -> None:
        if isinstance(self.broker, RedisBroker):
            self.broker.client.ping()
        elif isinstance(self.broker, RabbitmqBroker):
            try:
                self.broker.connection.process_data_events(time_limit=0)
            except AMQPError:
                del self.broker.connection  # the next call connects afresh
                raise

    def _close(self) -> None:
        self.broker.close()
        if isinstance(self.broker, RedisBroker):
            self.broker.client.close()
