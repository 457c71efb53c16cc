"""The background worker: a dramatiq worker on the configured broker, plus the periodic jobs.

What the tasks use (the database engine, Redis clients) is built in this process, lazily, on the one
event loop that dramatiq's AsyncIO middleware runs; the periodic jobs run on that loop too, and the
container is shut down on it before it stops. In the embedded default (`broker=inline`) there is no
worker: tasks run in the web process, and so do the periodic jobs (`web_background`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator
from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

from jiadian.adapters.prometheus import process_ended, record_health, record_pools
from jiadian.adapters.tasks.broker import DramatiqTaskQueue
from jiadian.adapters.tasks.dispatch import TaskDispatcher
from jiadian.adapters.tasks.periodic import run_periodic
from jiadian.container import Container, build_container, shutdown
from jiadian.logs import configure_logging
from jiadian.settings import SettingsConflict

log = logging.getLogger("jiadian.worker")


class NoBroker(SettingsConflict):
    """The settings name no broker (`broker=inline`): there is nothing for a worker to consume."""


class TaskWorker:
    """Start and stop a dramatiq worker in this process (from `jiadian worker`, or a test's thread)."""

    def __init__(self, container: Container, *, threads: int = 4, worker_timeout_ms: int = 1000) -> None:
        try:
            queue = container.task_queue()
        except SettingsConflict as exc:  # e.g. broker=redis without a redis_url
            raise NoBroker(str(exc)) from exc
        if not isinstance(queue, DramatiqTaskQueue):
            raise NoBroker(
                "broker=inline runs tasks inside the web process; "
                "set JIADIAN_BROKER=redis or rabbitmq to run a worker"
            )
        self._container = container
        self._queue = queue
        self._lifecycle = _Lifecycle(container, queue)
        queue.broker.add_middleware(self._lifecycle)  # after AsyncIO: it closes before the loop stops
        self._worker = dramatiq.Worker(queue.broker, worker_threads=threads, worker_timeout=worker_timeout_ms)

    def start(self) -> None:
        dramatiq.set_broker(self._queue.broker)  # anything asking for "the" broker gets this one
        self._worker.start()
        log.info("worker started: queue %s, %d threads", self._queue.queue_name, self._worker.worker_threads)

    def stop(self) -> None:
        """Finish the running tasks, then shut the container down on the worker's loop."""
        self._worker.stop()
        log.info("worker stopped")


class _Lifecycle(Middleware):
    def __init__(self, container: Container, queue: DramatiqTaskQueue) -> None:
        self._container = container
        self._queue = queue
        self._periodic: asyncio.Task[None] | None = None
        self._sampling: contextlib.AbstractAsyncContextManager[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def after_worker_boot(self, broker: Any, worker: Any) -> None:
        thread = get_event_loop_thread()
        if thread is None:  # pragma: no cover - the broker factories add the AsyncIO middleware
            raise RuntimeError("the broker has no AsyncIO middleware")
        self._loop = thread.loop
        self._queue.serve(TaskDispatcher(self._container.task_handlers()))
        asyncio.run_coroutine_threadsafe(self._start_periodic(), self._loop).result()

    def after_worker_shutdown(self, broker: Any, worker: Any) -> None:
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=60)

    async def _start_periodic(self) -> None:
        settings = self._container.settings()
        self._periodic = asyncio.create_task(
            run_periodic(self._container.periodic_jobs(), settings.sweep_interval_seconds)
        )
        self._sampling = sampling(self._container)
        await self._sampling.__aenter__()

    async def _close(self) -> None:
        if self._periodic is not None:
            self._periodic.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._periodic
        if self._sampling is not None:
            await self._sampling.__aexit__(None, None, None)
        await shutdown(self._container)


@contextlib.asynccontextmanager
async def web_background(container: Container) -> AsyncIterator[None]:
    """The web process's share of background work: with `broker=inline`, the periodic jobs."""
    container.task_queue()  # a broker that is misconfigured stops the start, not the first request
    settings = container.settings()
    if settings.broker != "inline":
        yield
        return
    periodic = asyncio.create_task(run_periodic(container.periodic_jobs(), settings.sweep_interval_seconds))
    try:
        yield
    finally:
        periodic.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await periodic


async def sample(container: Container) -> None:
    """Write this process's gauges: the shop's health and figures, and its own pools' use."""
    record_health(await container.operations().health())
    record_pools(container.pool_use())


@contextlib.asynccontextmanager
async def sampling(container: Container) -> AsyncIterator[None]:
    """Sample the metrics' gauges every `metrics_sample_seconds` while open.

    Stopping waits for a sample under way to end rather than cancelling it: a cancelled database call
    leaves its connection to be closed by a task of its own (SQLAlchemy's "terminate"), which on
    aiosqlite could wait for ever once the engine was disposed.
    """
    interval = container.settings().metrics_sample_seconds
    stopped = asyncio.Event()

    async def loop() -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopped.wait(), interval)
            if stopped.is_set():
                return
            try:
                await sample(container)
            except Exception:
                log.warning("sampling the metrics failed", exc_info=True)

    task = asyncio.create_task(loop(), name="metrics sampler")
    try:
        yield
    finally:
        stopped.set()
        done, _ = await asyncio.wait([task], timeout=30)  # a sample's calls are bounded by their timeouts
        if not done:
            task.cancel()
        process_ended()


def main(*, threads: int = 4) -> None:
    """Run the worker until SIGINT or SIGTERM."""
    container = build_container()
    settings = container.settings()
    configure_logging(settings.log_level, settings.log_format)
    worker = TaskWorker(container, threads=threads)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    stop.wait()
    worker.stop()
