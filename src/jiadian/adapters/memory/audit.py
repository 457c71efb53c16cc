"""The audit log in memory (table "audit_log" of the shared state): the same contract as the SQL adapter."""

from __future__ import annotations

from dataclasses import replace

from jiadian.adapters.memory.state import MemoryState
from jiadian.application.ports import Clock
from jiadian.domain.audit import Actor, AuditEntry, Fields, change

AUDIT = "audit_log"


class MemoryAuditLog:
    def __init__(self, state: MemoryState, clock: Clock) -> None:
        self._s = state
        self._clock = clock

    async def record(
        self, actor: Actor, action: str, target: str, before: Fields | None, after: Fields | None
    ) -> AuditEntry:
        entry = replace(
            change(self._clock.now(), actor, action, target, before, after), id=self._s.next_id(AUDIT)
        )
        self._s.table(AUDIT)[entry.id] = entry
        return entry
