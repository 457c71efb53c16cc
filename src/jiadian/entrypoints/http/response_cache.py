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

from collections.abc import Awaitable, Callable
from typing import Any

import pydantic_core
from litestar import MediaType, Response

from jiadian.application.catalog import Catalog
from jiadian.application.ports import Cache
from jiadian.application.single_flight import SingleFlight


class ResponseCache:
    def __init__(self, store: Cache, ttl_seconds: int) -> None:
        self._store = store  # this process's own (a bounded in-memory cache)
        self._ttl = ttl_seconds
        self._rendering = SingleFlight()

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
        async def rendered() -> bytes:
            body = pydantic_core.to_json(await render())
            await self._store.set(name, body, self._ttl)
            return body

        return await self._rendering.run(name, rendered)


def _json(body: bytes) -> Response[Any]:
    return Response(body, media_type=MediaType.JSON)
