"""The task plumbing: the handler registry, the inline queue, the periodic loop."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import pytest
from tests.accounts_support import eventually

from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.tasks.dispatch import TaskDispatcher, UnknownTask, decode, encode
from jiadian.adapters.tasks.inline import InlineTaskQueue
from jiadian.adapters.tasks.periodic import run_periodic
from jiadian.application.tasks import ExpireOrder, SendVerificationCode, ShipOrder, Task
from jiadian.container import Container


@dataclass
class Recorder:
    seen: list[Task] = field(default_factory=list)
    fail: bool = False

    async def __call__(self, task: Task) -> None:
        if self.fail:
            raise RuntimeError("handler failed")
        self.seen.append(task)


def test_a_task_travels_as_its_type_name_and_fields() -> None:
    task = ExpireOrder("20260101000001")
    assert encode(task) == ("ExpireOrder", {"order_id": "20260101000001"})
    assert decode(*encode(task)) == task


@pytest.mark.parametrize(
    ("name", "fields"), [("Nope", {}), ("ExpireOrder", {"order": "x"}), ("ShipOrder", {})]
)
def test_a_message_that_is_not_a_task_is_a_clear_error(name: str, fields: dict[str, str]) -> None:
    with pytest.raises(UnknownTask, match=name):
        decode(name, fields)


async def test_a_task_goes_to_the_handler_of_its_type() -> None:
    expire, ship = Recorder(), Recorder()
    dispatcher = TaskDispatcher({ExpireOrder: expire, ShipOrder: ship})
    await dispatcher.dispatch_message("ShipOrder", {"order_id": "o1"})
    assert (expire.seen, ship.seen) == ([], [ShipOrder("o1")])


async def test_a_missing_handler_says_which_and_where_to_register_it() -> None:
    dispatcher = TaskDispatcher({ExpireOrder: Recorder()})
    with pytest.raises(UnknownTask, match=r"ShipOrder.*Container\.task_handlers"):
        await dispatcher.dispatch(ShipOrder("o1"))


def test_the_container_registers_the_verification_mail(memory: tuple[Container, MemoryState]) -> None:
    container, _ = memory
    assert SendVerificationCode in container.task_handlers()


async def test_the_inline_queue_runs_tasks_in_the_background() -> None:
    handler = Recorder()
    queue = InlineTaskQueue(lambda: {ExpireOrder: handler})
    await queue.send(ExpireOrder("o1"))
    assert handler.seen == []  # not in the caller's turn
    await queue.join()
    assert handler.seen == [ExpireOrder("o1")]
    assert queue.pending == 0


async def test_the_inline_queue_runs_delayed_tasks_later() -> None:
    handler = Recorder()
    queue = InlineTaskQueue(lambda: {ExpireOrder: handler})
    await queue.send(ExpireOrder("later"), delay_seconds=0.2)
    await queue.send(ExpireOrder("now"))
    await queue.join()
    assert handler.seen == [ExpireOrder("now")]
    assert queue.pending == 1
    await eventually(lambda: len(handler.seen) == 2, what="the delayed task")
    assert handler.seen[-1] == ExpireOrder("later")


async def test_closing_the_inline_queue_drops_delayed_tasks() -> None:
    handler = Recorder()
    queue = InlineTaskQueue(lambda: {ExpireOrder: handler})
    await queue.send(ExpireOrder("later"), delay_seconds=0.05)
    await queue.close()
    await asyncio.sleep(0.1)
    assert handler.seen == []
    assert queue.pending == 0


async def test_a_failing_or_unhandled_task_is_logged_and_the_queue_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing, working = Recorder(fail=True), Recorder()
    queue = InlineTaskQueue(lambda: {ExpireOrder: failing, SendVerificationCode: working})
    await queue.send(ExpireOrder("o1"))
    await queue.send(ShipOrder("o2"))
    await queue.send(SendVerificationCode("a@example.com", "abc123"))
    await queue.join()
    assert working.seen == [SendVerificationCode("a@example.com", "abc123")]
    failures = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "jiadian.tasks"]
    assert [r.getMessage() for r in failures] == ["task ExpireOrder failed", "task ShipOrder failed"]


async def test_periodic_jobs_run_every_interval_and_a_failure_does_not_stop_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []

    async def sweep() -> None:
        calls.append("sweep")

    async def broken() -> None:
        calls.append("broken")
        raise RuntimeError("sweep failed")

    runner = asyncio.create_task(run_periodic([broken, sweep], 0.01))
    await eventually(lambda: calls.count("sweep") >= 3, what="three rounds")
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert calls[:4] == ["broken", "sweep", "broken", "sweep"]
    assert "periodic job" in caplog.text
