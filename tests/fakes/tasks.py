"""A task queue that records what the shop sends (and can play a broker that is down)."""

from __future__ import annotations

from jiadian.application.tasks import QueueDepth, Task


class BrokerDown(ConnectionError):
    pass


class RecordingTaskQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[Task, float]] = []
        self.down = False

    async def send(self, task: Task, delay_seconds: float = 0) -> None:
        if self.down:
            raise BrokerDown("the broker does not answer")
        self.sent.append((task, delay_seconds))

    async def send_many(self, tasks: list[Task], delay_seconds: float = 0) -> None:
        for task in tasks:
            await self.send(task, delay_seconds)

    async def ping(self) -> None:
        if self.down:
            raise BrokerDown("the broker does not answer")

    async def depth(self) -> QueueDepth:
        await self.ping()
        return QueueDepth(ready=0, delayed=len(self.sent), failed=0)

    def of_type(self, kind: type[Task]) -> list[tuple[Task, float]]:
        return [(task, delay) for task, delay in self.sent if isinstance(task, kind)]
