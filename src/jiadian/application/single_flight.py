"""One computation per key at a time: callers that ask while it runs share its result (or its error).

When a cached entry expires under load, every request in flight misses it at once; without this, each
of them recomputes it (the same statement 64 times over on a cold product page). Per process, in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class SingleFlight:
    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[Any]] = {}

    async def run(self, key: str, compute: Callable[[], Awaitable[T]]) -> T:
        running = self._running.get(key)
        if running is not None:
            try:
                # Shielded: a waiter that goes away (its client disconnected) leaves the others theirs.
                result: T = await asyncio.shield(running)
                return result
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not running.cancelled() or (task is not None and task.cancelling()):
                    raise
                return await self.run(key, compute)  # the one computing went away, not this caller
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await compute()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        finally:
            del self._running[key]
        future.set_result(value)
        return value
