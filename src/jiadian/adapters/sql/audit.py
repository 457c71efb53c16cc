"""The audit log on SQL (table `audit_log`): written inside the unit of work of the change it records."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Row, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from jiadian.adapters.sql.engine import from_db, to_db
from jiadian.adapters.sql.tables import audit_log
from jiadian.application.ports import Clock
from jiadian.domain.audit import MAX_ACTION, MAX_TARGET, Actor, AuditEntry, Fields, Via, change

INSERT_ENTRY = insert(audit_log)


def _json(fields: Fields) -> str:
    return json.dumps(dict(fields), ensure_ascii=False, sort_keys=True)


def audit_entry(row: Row[Any]) -> AuditEntry:
    actor = Actor(
        row.actor.split(":", 1)[1] if row.via != Via.HTTP else row.actor, Via(row.via), row.actor_id
    )
    return AuditEntry(
        at=from_db(row.at),
        actor=actor,
        action=row.action,
        target=row.target,
        before=json.loads(row.before_values),
        after=json.loads(row.after_values),
        id=row.id,
    )


class SqlAuditLog:
    def __init__(self, conn: AsyncConnection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    async def record(
        self, actor: Actor, action: str, target: str, before: Fields | None, after: Fields | None
    ) -> AuditEntry:
        entry = change(self._clock.now(), actor, action[:MAX_ACTION], target[:MAX_TARGET], before, after)
        result = await self._conn.execute(
            INSERT_ENTRY,
            {
                "at": to_db(entry.at),
                "actor": actor.label[:80],
                "actor_id": actor.user_id,
                "via": actor.via.value,
                "action": entry.action,
                "target": entry.target,
                "before_values": _json(entry.before),
                "after_values": _json(entry.after),
            },
        )
        return AuditEntry(
            entry.at,
            actor,
            entry.action,
            entry.target,
            entry.before,
            entry.after,
            int(result.inserted_primary_key[0]),  # type: ignore[index]
        )
