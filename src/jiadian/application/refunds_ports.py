"""Ports of refunds: where the ledger of refunds is kept (inside a unit of work)."""

from __future__ import annotations

from typing import Protocol

from jiadian.domain.refunds import Refund, RefundState


class RefundRepository(Protocol):
    async def add(self, refund: Refund) -> Refund:
        """Store a new refund and set its id; `jiadian.domain.refunds.AlreadyRefunding` when its subject
        (the order, or the payment) has one already — whoever comes second, however concurrently."""
        ...

    async def get(self, refund_id: int) -> Refund | None: ...

    async def of_subject(self, subject: str) -> Refund | None:
        """The refund of `order:<id>` or `payment:<id>`, or None."""
        ...

    async def save(self, refund: Refund, *, expected: RefundState) -> bool:
        """Write the refund's state and decision — only if the stored state is still `expected` (of two
        concurrent changes from one state, one wins)."""
        ...

    async def due(self, limit: int) -> list[Refund]:
        """Refunds `pending` at the gateway, oldest first (what the worker asks about)."""
        ...

    async def count(self, *, state: RefundState | None) -> int: ...

    async def list(self, *, state: RefundState | None, offset: int, limit: int) -> list[Refund]:
        """Newest first."""
        ...
