"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from jiadian.entrypoints.http import schemas as s

Probe = Callable[[], Awaitable[object]]


class HealthController(Controller):
    tags = ["health"]

    @get("/health", summary="The process is alive")
    async def health(self) -> s.Health:
        return s.Health(status="ok")

    @get(
        "/ready",
        summary="200 when the database, cache, broker and blob store answer; 503 naming what failed",
        responses={503: ResponseSpec(data_container=s.Readiness, description="a dependency failed")},
    )
    async def ready(self, probes: NamedDependency[dict[str, Probe]]) -> Response[s.Readiness]:
        async def check(probe: Probe) -> str:
            try:
                await asyncio.wait_for(probe(), timeout=3)
            except Exception as exc:
                return f"failed: {type(exc).__name__}"
            return "ok"

        results = await asyncio.gather(*(check(p) for p in probes.values()))
        checks = dict(zip(probes, results, strict=True))
        ok = all(r == "ok" for r in results)
        return Response(
            s.Readiness(status="ok" if ok else "unavailable", checks=checks), status_code=200 if ok else 503
        )
