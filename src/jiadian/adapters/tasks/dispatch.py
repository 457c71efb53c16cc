"""From a task to its handler: the registry the container builds, and the wire form of a task."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from jiadian.application.tasks import TASK_TYPES, Task

TaskHandler = Callable[[Any], Awaitable[object]]
TaskHandlers = Mapping[type[Task], TaskHandler]


class UnknownTask(Exception):
    """A task nobody handles, or a message that is not a task: a wiring error, never retried."""


def encode(task: Task) -> tuple[str, dict[str, Any]]:
    """The wire form of a task: its type's name and its fields (JSON-ready)."""
    return type(task).__name__, dataclasses.asdict(task)


def decode(type_name: str, fields: Mapping[str, Any]) -> Task:
    kind = TASK_TYPES.get(type_name)
    if kind is None:
        raise UnknownTask(f"unknown task type {type_name!r}; known: {sorted(TASK_TYPES)}")
    try:
        return kind(**fields)
    except TypeError as exc:
        raise UnknownTask(f"malformed {type_name} message: {exc}") from exc


class TaskDispatcher:
    def __init__(self, handlers: TaskHandlers) -> None:
        self._handlers = handlers

    async def dispatch(self, task: Task) -> None:
        handler = self._handlers.get(type(task))
        if handler is None:
            raise UnknownTask(
                f"no handler for {type(task).__name__}: register one in Container.task_handlers "
                f"(registered: {sorted(t.__name__ for t in self._handlers)})"
            )
        await handler(task)

    async def dispatch_message(self, type_name: str, fields: Mapping[str, Any]) -> None:
        await self.dispatch(decode(type_name, fields))
