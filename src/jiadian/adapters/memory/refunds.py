"""The ledger of refunds in memory (the same contract as the SQL adapter)."""

from __future__ import annotations

import copy

from jiadian.adapters.memory.state import MemoryState
from jiadian.domain.refunds import AlreadyRefunding, Refund, RefundState

REFUNDS = "refunds"


class MemoryRefundRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    @property
    def _refunds(self) -> dict[int, Refund]:
        return self._s.table(REFUNDS)

    async def add(self, refund: Refund) -> Refund:
        if any(
            r.subject == refund.subject or r.out_request_no == refund.out_request_no
            for r in self._refunds.values()
        ):
            raise AlreadyRefunding(subject=refund.subject)
        refund.id = self._s.next_id(REFUNDS)
        self._refunds[refund.id] = copy.deepcopy(refund)
        return refund

    async def get(self, refund_id: int) -> Refund | None:
        found = self._refunds.get(refund_id)
        return copy.deepcopy(found) if found else None

    async def of_subject(self, subject: str) -> Refund | None:
        found = next((r for r in self._refunds.values() if r.subject == subject), None)
        return copy.deepcopy(found) if found else None

    async def save(self, refund: Refund, *, expected: RefundState) -> bool:
        stored = self._refunds.get(refund.id)
        if stored is None or stored.state is not expected:
            return False
        self._refunds[refund.id] = copy.deepcopy(refund)
        return True

    def _by_state(self, state: RefundState | None) -> list[Refund]:
        chosen = [r for r in self._refunds.values() if state is None or r.state is state]
        return sorted(chosen, key=lambda r: (r.created_at, r.id))

    async def due(self, limit: int) -> list[Refund]:
        return [copy.deepcopy(r) for r in self._by_state(RefundState.PENDING)[:limit]]

    async def count(self, *, state: RefundState | None) -> int:
        return len(self._by_state(state))

    async def list(self, *, state: RefundState | None, offset: int, limit: int) -> list[Refund]:
        newest = list(reversed(self._by_state(state)))
        return [copy.deepcopy(r) for r in newest[offset : offset + limit]]
