"""Litestar resolves a handler's dependencies one after another, not in a task group per request.

Litestar 2 resolves independent dependencies concurrently: each batch of more than one opens an anyio
task group and starts a task per dependency (litestar-org/litestar#4563). Our handlers' dependencies
are container singletons (cached after the first request) and at most one lookup that does I/O (the
session), so the concurrency buys nothing and the task group costs: measured in-process on the product
page (3 dependencies), 0.90 → 0.68 ms of CPU per request. `resolve_in_turn()` replaces the method
with one that resolves each batch in order, with the same results and the same first error.

It replaces a private method: it is applied only to the Litestar version it was written against (a
warning otherwise, and Litestar's own resolution stays). Check it again when Litestar moves.
"""

from __future__ import annotations

import logging
from importlib import metadata
from typing import Any

from litestar._kwargs import kwargs_model
from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar.connection import ASGIConnection

log = logging.getLogger("jiadian.http")

WRITTEN_FOR = "2.25.0"


async def _resolve_in_turn(
    self: kwargs_model.KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def resolve_in_turn() -> bool:
    """Apply it (once per process); False when this Litestar is not the version it was written for."""
    version = metadata.version("litestar")
    if version != WRITTEN_FOR:
        log.warning(
            "litestar %s: dependencies keep being resolved in task groups (written for %s)",
            version,
            WRITTEN_FOR,
        )
        return False
    kwargs_model.KwargsModel.resolve_dependencies = _resolve_in_turn  # type: ignore[method-assign]
    return True
