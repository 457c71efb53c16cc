"""Periodic jobs (e.g. the checkout's sweeps): called one after another, every interval, for ever."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

log = logging.getLogger("jiadian.tasks")

PeriodicJob = Callable[[], Awaitable[object]]


async def run_periodic(jobs: Sequence[PeriodicJob], interval_seconds: float) -> None:
    """Every `interval_seconds` (the first time after one interval), await each job in turn.

    A failing job is logged and does not stop the others nor the next round. Ends when cancelled.
    """
    if not jobs:
        return
    while True:
        await asyncio.sleep(interval_seconds)
        for job in jobs:
            try:
                await job()
            except Exception:
                log.exception("periodic job %s failed", getattr(job, "__qualname__", job))
