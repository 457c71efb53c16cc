"""The shop's health at a glance, for operators: `/ready`, `jiadian status` and the metrics' gauges.

Each dependency has a probe (the composition root builds them: database, cache, broker, blob store);
beside them, the figures an operator watches: the task queue's depth, the stock gate's drift (tokens
against the database's stock), and the gateway trades still pending. A figure whose source does not
answer is `None`, never an error: the health of a shop half down is still worth reading.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from jiadian.application.payments import Payments
from jiadian.application.stock_gate import StockGates
from jiadian.application.tasks import QueueDepth, TaskQueue

log = logging.getLogger(__name__)

T = TypeVar("T")
Probe = Callable[[], Awaitable[object]]
OK = "ok"


@dataclass(frozen=True, slots=True)
class GateDrift:
    gated: int  # skus behind the gate
    over: int  # tokens past the database's stock, summed (harmless: the transaction refuses)
    under: int  # tokens short of it, summed (buyers refused while stock remains; reconcile repairs)


@dataclass(frozen=True, slots=True)
class Health:
    checks: dict[str, str]  # dependency -> "ok" | "failed: <what>"
    queue: QueueDepth | None
    gate: GateDrift | None
    pending_trades: int | None
    gate_in_checkout: bool

    @property
    def ok(self) -> bool:
        return all(result == OK for result in self.checks.values())


@dataclass(frozen=True)
class Operations:
    probes: Mapping[str, Probe]
    tasks: TaskQueue
    gates: StockGates
    payments: Payments
    timeout_seconds: float = 3.0

    async def checks(self) -> dict[str, str]:
        """Every probe at once, each bounded by the timeout."""
        results = await asyncio.gather(*(self._check(probe) for probe in self.probes.values()))
        return dict(zip(self.probes, results, strict=True))

    async def health(self) -> Health:
        checks, queue, gate, pending = await asyncio.gather(
            self.checks(),
            self._figure("queue depth", self.tasks.depth),
            self._figure("gate drift", self._drift),
            self._figure("pending trades", self._pending),
        )
        return Health(checks, queue, gate, pending, self.gates.checkout_uses_it)

    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives as
    # the awaited call completes, and a periodic sampler cancelled there would run on for ever.
    async def _check(self, probe: Probe) -> str:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                await probe()
        except Exception as exc:
            return f"failed: {type(exc).__name__}"
        return OK

    async def _figure(self, name: str, read: Callable[[], Awaitable[T]]) -> T | None:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                return await read()
        except Exception as exc:
            log.debug("%s unknown: %s: %s", name, type(exc).__name__, exc)
            return None

    async def _drift(self) -> GateDrift:
        rows = await self.gates.status()
        drifts = [row.drift for row in rows if row.drift is not None]
        return GateDrift(
            gated=len(rows), over=sum(d for d in drifts if d > 0), under=sum(-d for d in drifts if d < 0)
        )

    async def _pending(self) -> int:
        return (await self.payments.list("pending", 1, 1)).total
