"""Helpers for the tests of files and the rows that refer to them: a database whose commits can be
made to fail, real images, and a blob store that records what it was asked."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from dependency_injector import providers
from PIL import Image

from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.memory.uow import MemoryUnitOfWork
from jiadian.adapters.sql.uow import SqlUnitOfWork
from jiadian.application.unit_of_work import UnitOfWork
from jiadian.container import Container


class DatabaseWentAway(ConnectionError):
    """What a commit raises when the breaker is open."""


@dataclass
class CommitBreaker:
    """While `broken`, every commit raises `error()` (after the writes were made)."""

    broken: bool = False
    failed: int = 0
    error: Callable[[], BaseException] = lambda: DatabaseWentAway("the database went away at commit")


class BreakableUnitOfWork:
    def __init__(self, inner: Any, breaker: CommitBreaker) -> None:
        self._inner = inner
        self._breaker = breaker

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def __aenter__(self) -> BreakableUnitOfWork:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._inner.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        if self._breaker.broken:
            self._breaker.failed += 1
            raise self._breaker.error()
        await self._inner.commit()

    async def rollback(self) -> None:
        await self._inner.rollback()


def breakable_commits(container: Container, state: MemoryState | None = None) -> CommitBreaker:
    """Make the container's units of work breakable (memory when `state` is given, else SQL)."""
    breaker = CommitBreaker()

    def inner() -> UnitOfWork:
        if state is not None:
            return MemoryUnitOfWork(state, container.clock(), container.analyzer())
        return SqlUnitOfWork(container.engine(), container.clock(), container.analyzer())

    container.uow.override(providers.Factory(lambda: BreakableUnitOfWork(inner(), breaker)))
    return breaker


def png(color: str = "red", size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def big_png(min_bytes: int) -> bytes:
    """A real PNG of at least `min_bytes` (noise does not compress)."""
    import os

    side = int((min_bytes / 3) ** 0.5) + 16
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=0)
    data = buffer.getvalue()
    assert len(data) >= min_bytes
    return data


@dataclass
class Calls:
    deleted: list[str] = field(default_factory=list)


def recording(store: Any, calls: Calls, *, delete: Callable[[str], Any] | None = None) -> Any:
    """Wrap a blob store so that deletes are recorded (and optionally replaced)."""

    class Recording:
        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        async def delete(self, file_id: str) -> None:
            calls.deleted.append(file_id)
            if delete is not None:
                await delete(file_id)
            else:
                await store.delete(file_id)

    return Recording()
