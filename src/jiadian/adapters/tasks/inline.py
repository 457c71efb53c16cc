"""The embedded default's task queue: tasks run in the web process, on its event loop.

Nothing is persisted: a delayed task (loop.call_later) is lost when the process stops; the periodic
sweeps catch up with what it would have done. A failing task is logged, not retried.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable

from jiadian.adapters.prometheus import task_failed
from jiadian.adapters.tasks.dispatch import TaskDispatcher, TaskHandlers, decode, encode
from jiadian.application.tasks import QueueDepth, Task

log = logging.getLogger("jiadian.tasks")


class InlineTaskQueue:
    def __init__(self, handlers: Callable[[], TaskHandlers]) -> None:
        # A provider, asked when a task runs: handlers may themselves need this queue.
        self._handlers = handlers
        self._running: set[asyncio.Task[None]] = set()
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._ids = itertools.count()
        self.failed = 0  # tasks that raised (an inline task is not retried)

    async def send(self, task: Task, delay_seconds: float = 0) -> None:
        type_name, fields = encode(task)
        # The same round trip as through a broker: a task that could not travel fails here too.
        copy = decode(type_name, json.loads(json.dumps(fields)))
        if delay_seconds > 0:
            key = next(self._ids)

            def due() -> None:
                del self._timers[key]
                self._start(copy)

            self._timers[key] = asyncio.get_running_loop().call_later(delay_seconds, due)
        else:
            self._start(copy)

    async def send_many(self, tasks: list[Task], delay_seconds: float = 0) -> None:
        for task in tasks:
            await self.send(task, delay_seconds)

    async def ping(self) -> None:
        return None

    async def depth(self) -> QueueDepth:
        return QueueDepth(ready=len(self._running), delayed=len(self._timers), failed=self.failed)

    @property
    def pending(self) -> int:
        """Tasks waiting for their delay or running now."""
        return len(self._timers) + len(self._running)

    async def join(self) -> None:
        """Wait until no task is running (delayed ones still waiting are not waited for)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def close(self) -> None:
        """Drop the delayed tasks and let the running ones finish."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        await self.join()

    def _start(self, task: Task) -> None:
        running = asyncio.create_task(self._run(task), name=f"task {type(task).__name__}")
        self._running.add(running)
        running.add_done_callback(self._running.discard)

    async def _run(self, task: Task) -> None:
        try:
            await TaskDispatcher(self._handlers()).dispatch(task)
        except Exception:
            self.failed += 1
            task_failed(type(task).__name__)
            log.exception("task %s failed", type(task).__name__)
