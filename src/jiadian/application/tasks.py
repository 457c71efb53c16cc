"""Background tasks: messages the shop sends to its worker, and the port that carries them.

Each task is idempotent: a redelivered message changes nothing the first one already changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SendVerificationCode:
    email: str
    code: str


@dataclass(frozen=True, slots=True)
class SendPasswordResetCode:
    """Mail a password-reset code to an address if an account has it, naming the accounts that do."""

    email: str
    code: str


@dataclass(frozen=True, slots=True)
class ExpireOrder:
    """Cancel the order if it is still unpaid (scheduled 24 h after placing)."""

    order_id: str


@dataclass(frozen=True, slots=True)
class ShipOrder:
    """Ship the order if it is paid and not yet shipped (scheduled 5 minutes after payment)."""

    order_id: str


Task = SendVerificationCode | SendPasswordResetCode | ExpireOrder | ShipOrder
TASK_TYPES: dict[str, type[Task]] = {
    t.__name__: t for t in (SendVerificationCode, SendPasswordResetCode, ExpireOrder, ShipOrder)
}


@dataclass(frozen=True, slots=True)
class QueueDepth:
    """Messages waiting in the task queue: to run now, delayed (expiry, shipping), and dead (failed past
    their retries, kept by the broker for inspection)."""

    ready: int
    delayed: int
    failed: int


class TaskQueue(Protocol):
    async def send(self, task: Task, delay_seconds: float = 0) -> None:
        """Hand the task to the worker, to run after `delay_seconds`."""
        ...

    async def send_many(self, tasks: list[Task], delay_seconds: float = 0) -> None:
        """`send` each (in one round trip where the broker allows: a batch of orders' expiries)."""
        ...

    async def ping(self) -> None:
        """Raise when the broker does not answer."""
        ...

    async def depth(self) -> QueueDepth:
        """How many messages wait (raise when the broker does not answer)."""
        ...
