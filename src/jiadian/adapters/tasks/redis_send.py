"""Send dramatiq messages to its Redis broker on the event loop.

`RedisBroker.enqueue` blocks on the synchronous Redis client, so a web process had to hand every send
to a thread (a thread switch, and the GIL contended with the event loop, on each order placed and each
payment). This does what `RedisBroker.enqueue` does, with the asyncio Redis client: the same message
(a Redis message id of its own, and for a delayed one the delay queue and an `eta`), the same
`enqueue` middleware hooks, and the same `dispatch` script — the one the broker registered — with the
same arguments. Queue maintenance is left to the workers' own calls (they make most of them).
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis, dq_name
from dramatiq.message import Message
from redis.asyncio import Redis

from jiadian.application.tasks import QueueDepth

# `dispatch` arguments after the command's own: do_maintenance (no), max_unpack_size (maintenance only).
_NO_MAINTENANCE = (0, 1)


class AsyncRedisSender:
    def __init__(self, broker: RedisBroker, url: str) -> None:
        self._broker = broker
        self._client = Redis.from_url(
            url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30
        )
        self._dispatch = self._client.register_script(broker.scripts["dispatch"].script)

    def _prepared(self, message: Message[Any], delay_ms: int | None) -> tuple[Message[Any], list[Any]]:
        """The message as the broker would enqueue it, and the `dispatch` script's arguments."""
        broker = self._broker
        queue_name = message.queue_name
        message = message.copy(options={"redis_message_id": str(uuid4())})
        if delay_ms is not None:
            queue_name = dq_name(queue_name)
            message = message.copy(queue_name=queue_name, options={"eta": current_millis() + delay_ms})
        args = [
            "enqueue",
            current_millis(),
            queue_name,
            broker.broker_id,
            broker.heartbeat_timeout,
            broker.dead_message_ttl,
            *_NO_MAINTENANCE,
            message.options["redis_message_id"],
            message.encode(),
        ]
        return message, args

    async def enqueue(self, message: Message[Any], *, delay_ms: int | None = None) -> Message[Any]:
        message, args = self._prepared(message, delay_ms)
        self._broker.emit_before("enqueue", message, delay_ms)
        await self._dispatch(keys=[self._broker.namespace], args=args)
        self._broker.emit_after("enqueue", message, delay_ms)
        return message

    async def enqueue_many(self, messages: list[Message[Any]], *, delay_ms: int | None = None) -> None:
        """`enqueue` each, in one pipelined round trip."""
        prepared = [self._prepared(message, delay_ms) for message in messages]
        for message, _args in prepared:
            self._broker.emit_before("enqueue", message, delay_ms)
        async with self._client.pipeline(transaction=False) as pipe:
            for _message, args in prepared:
                await self._dispatch(keys=[self._broker.namespace], args=args, client=pipe)
            await pipe.execute()
        for message, _args in prepared:
            self._broker.emit_after("enqueue", message, delay_ms)

    async def ping(self) -> None:
        await self._client.ping()

    async def depth(self, queue_name: str) -> QueueDepth:
        """The broker's keys: the queue and its delay queue are lists of message ids, the dead-letter
        queue a sorted set (dispatch.lua)."""
        prefix = f"{self._broker.namespace}:{queue_name}"
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.llen(prefix)
            pipe.llen(dq_name(prefix))
            pipe.zcard(f"{prefix}.XQ")
            ready, delayed, failed = await pipe.execute()
        return QueueDepth(ready=int(ready), delayed=int(delayed), failed=int(failed))

    async def close(self) -> None:
        await self._client.aclose()
