"""The audit log's port: where operators' changes are written, inside the unit of work that makes them."""

from __future__ import annotations

from typing import Protocol

from jiadian.domain.audit import Actor, AuditEntry, Fields


class AuditLog(Protocol):
    async def record(
        self, actor: Actor, action: str, target: str, before: Fields | None, after: Fields | None
    ) -> AuditEntry:
        """Write one entry in this unit of work (it commits or rolls back with the change), stamped with
        the unit of work's clock; of two snapshots only the fields that differ are kept
        (`jiadian.domain.audit.change`)."""
        ...
