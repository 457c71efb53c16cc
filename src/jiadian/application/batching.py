"""Group commit: calls made at about the same time in a process are gathered and run as one batch.

The first call into an idle batcher waits `window` seconds for company; while a batch runs, new calls
queue, and the next batch (up to `max_size` calls, oldest first) starts as soon as it ends. Each caller
gets its own answer — a value or an exception — from the batch's run, in the order the calls came.
One batch runs at a time per batcher: on a hot row, two batches of one process would only queue on
its lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)


class Batcher(Generic[T, R]):
    def __init__(
        self,
        run: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]],
        *,
        window: float,
        max_size: int,
    ) -> None:
        """`run(items)` answers one value or exception per item, in their order."""
        self._run = run
        self._window = window
        self._max_size = max(1, max_size)
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[R] = loop.create_future()
        self._queue.append((item, answer))
        draining = self._draining
        if (
            draining is None or draining.done() or draining.get_loop() is not loop
        ):  # (a loop closed mid-batch)
            self._queue = [(i, a) for i, a in self._queue if a.get_loop() is loop]
            self._draining = loop.create_task(self._drain())
        return await answer

    async def _drain(self) -> None:
        waiting: list[tuple[T, asyncio.Future[R]]] = []
        try:
            if self._window > 0:
                await asyncio.sleep(self._window)
            while self._queue:
                batch = self._queue[: self._max_size]
                del self._queue[: self._max_size]
                waiting = [(item, answer) for item, answer in batch if not answer.done()]  # not cancelled
                if waiting:
                    await self._answer(waiting)
                waiting = []
        finally:  # cancelled (the loop is closing): nobody is left waiting forever
            for _item, answer in [*waiting, *self._queue]:
                answer.cancel()
            self._queue.clear()

    async def _answer(self, waiting: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results: Sequence[R | BaseException] = await self._run([item for item, _ in waiting])
            if len(results) != len(waiting):
                raise RuntimeError(f"a batch of {len(waiting)} answered {len(results)} times")
        except Exception as exc:  # the run's own failure is every caller's
            log.exception("a batch of %d failed", len(waiting))
            results = [exc] * len(waiting)
        for (_item, answer), result in zip(waiting, results, strict=True):
            if answer.done():
                continue
            if isinstance(result, BaseException):
                answer.set_exception(result)
            else:
                answer.set_result(result)
