"""Liveness and readiness."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from jiadian.application.operations import OK, Operations
from jiadian.entrypoints.http import schemas as s


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
    async def ready(self, operations: NamedDependency[Operations]) -> Response[s.Readiness]:
        checks = await operations.checks()
        ok = all(result == OK for result in checks.values())
        return Response(
            s.Readiness(status="ok" if ok else "unavailable", checks=checks), status_code=200 if ok else 503
        )
