"""A task queue on a clock: tasks run when the clock says they are due, and only when asked.

The in-memory twin of the broker for testers. `send` keeps the task with its due time (now + delay);
a task without a delay runs at once, inside `send`, as an idle worker would take it. `run_due()` runs,
in due order, every task whose time has come — after a test moved the clock, as the worker would
have. A failing task fails the call that ran it (a test should see it), and `down = True` plays a
broker that does not answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from jiadian.adapters.tasks.dispatch import TaskDispatcher, TaskHandlers, decode, encode
from jiadian.application.ports import Clock
from jiadian.application.tasks import Task


class BrokerDown(ConnectionError):
    """What `send` raises while the queue plays a broker that does not answer."""


@dataclass(frozen=True, slots=True)
class ScheduledTask:
    task: Task
    due: datetime
    delay_seconds: float


class ScheduledTaskQueue:
    def __init__(self, handlers: Callable[[], TaskHandlers], clock: Clock) -> None:
        # A provider, asked when a task runs: handlers may themselves need this queue.
        self._handlers = handlers
        self._clock = clock
        self._waiting: dict[int, ScheduledTask] = {}
        self._ids = itertools.count()
        self.sent: list[tuple[Task, float]] = []  # every task accepted, with its delay, in order
        self.done: list[Task] = []  # every task that ran, in order
        self.down = False

    async def send(self, task: Task, delay_seconds: float = 0) -> None:
        if self.down:
            raise BrokerDown("the broker does not answer")
        type_name, fields = encode(task)
        copy = decode(type_name, fields)  # the same check as a broker's: a task that cannot travel fails here
        self.sent.append((task, delay_seconds))
        if delay_seconds <= 0:
            await self._run(copy)
            return
        due = self._clock.now() + timedelta(seconds=delay_seconds)
        self._waiting[next(self._ids)] = ScheduledTask(copy, due, delay_seconds)

    async def send_many(self, tasks: list[Task], delay_seconds: float = 0) -> None:
        for task in tasks:
            await self.send(task, delay_seconds)

    async def ping(self) -> None:
        if self.down:
            raise BrokerDown("the broker does not answer")

    @property
    def waiting(self) -> list[ScheduledTask]:
        """Tasks not yet due, soonest first."""
        return sorted(self._waiting.values(), key=lambda each: each.due)

    def of_type(self, kind: type[Task]) -> list[tuple[Task, float]]:
        """The tasks of one type that were sent, with their delays."""
        return [(task, delay) for task, delay in self.sent if isinstance(task, kind)]

    async def run_due(self) -> list[Task]:
        """Run every task due by the clock's now (soonest first, then in the order sent); what ran."""
        ran: list[Task] = []
        while True:
            now = self._clock.now()
            due = [(each.due, key) for key, each in self._waiting.items() if each.due <= now]
            if not due:
                return ran
            _, key = min(due)
            task = self._waiting.pop(key).task
            await self._run(task)
            ran.append(task)

    async def _run(self, task: Task) -> None:
        await TaskDispatcher(self._handlers()).dispatch(task)
        self.done.append(task)
