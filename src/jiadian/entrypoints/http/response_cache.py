"""A short-lived cache of rendered catalogue answers (JSON bytes), keyed by the catalogue's generation.

Anonymous catalogue pages are the same for everyone. Their rendered JSON is kept in each process for a
few seconds (`JIADIAN_RESPONSE_CACHE_SECONDS`) under a key that carries the catalogue's generation
(shared, in Redis in production), so an operator's write shows at once; orders (sales figures) show
within the TTL. A hit costs one shared read (the generation) and no rendering. When the shared cache
is down the generation reads as a miss (the cache adapter fails soft) and answers are rendered again.

Requests that miss the same entry at once wait for one rendering (and share its answer, or its error):
when an entry expires under load, a process renders it once, not once per request in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pydantic_core
from litestar import MediaType, Response

from jiadian.application.catalog import Catalog
from jiadian.application.ports import Cache


class ResponseCache:
    def __init__(self, store: Cache, ttl_seconds: int) -> None:
        self._store = store  # this process's own (a bounded in-memory cache)
        self._ttl = ttl_seconds
        self._rendering: dict[str, asyncio.Future[bytes]] = {}

    async def respond(
        self, catalog: Catalog, key: tuple[object, ...], render: Callable[[], Awaitable[Any]]
    ) -> Response[Any]:
        """The cached answer for `key`, or `render()`'s, kept for the next requests."""
        if self._ttl <= 0:
            return _json(pydantic_core.to_json(await render()))
        name = f"{await catalog.generation()}:" + ":".join(str(part) for part in key)
        body = await self._store.get(name, bytes)
        if body is None:
            body = await self._render_once(name, render)
        return _json(body)

    async def _render_once(self, name: str, render: Callable[[], Awaitable[Any]]) -> bytes:
        pending = self._rendering.get(name)
        if pending is not None:
            try:
                return await asyncio.shield(pending)  # a waiter's disconnect does not cancel the rendering
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise
                return await self._render_once(name, render)  # the renderer was cancelled, not this request
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._rendering[name] = future
        try:
            body = pydantic_core.to_json(await render())
            await self._store.set(name, body, self._ttl)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        finally:
            del self._rendering[name]
        future.set_result(body)
        return body


def _json(body: bytes) -> Response[Any]:
    return Response(body, media_type=MediaType.JSON)
