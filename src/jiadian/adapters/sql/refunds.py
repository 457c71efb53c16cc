"""The ledger of refunds on SQL (table `refunds`)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Row, Select, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from jiadian.adapters.sql.engine import from_db, to_db
from jiadian.adapters.sql.payments import fields_json
from jiadian.adapters.sql.tables import refunds
from jiadian.domain.money import Money
from jiadian.domain.refunds import AlreadyRefunding, Refund, RefundMethod, RefundOrigin, RefundState


def _refund(row: Row[Any]) -> Refund:
    return Refund(
        id=row.id,
        subject=row.subject,
        order_id=row.order_id,
        user_id=row.user_id,
        method=RefundMethod(row.method),
        amount=Money.of(row.amount),
        origin=RefundOrigin(row.origin),
        state=RefundState(row.state),
        out_request_no=row.out_request_no,
        trade_no=row.trade_no,
        payment_id=row.payment_id,
        created_at=from_db(row.created_at),
        reason=row.reason,
        answer=row.answer,
        operator=row.operator,
        decided_at=from_db(row.decided_at) if row.decided_at is not None else None,
        refunded_at=from_db(row.refunded_at) if row.refunded_at is not None else None,
        gateway_answer=json.loads(row.gateway_answer or "{}"),
    )


def _decision(refund: Refund) -> dict[str, Any]:
    """The columns a decision or a gateway answer writes."""
    return {
        "state": refund.state.value,
        "payment_id": refund.payment_id,
        "answer": refund.answer[:255],
        "operator": refund.operator[:64],
        "gateway_answer": fields_json(refund.gateway_answer),
        "decided_at": to_db(refund.decided_at) if refund.decided_at else None,
        "refunded_at": to_db(refund.refunded_at) if refund.refunded_at else None,
    }


class SqlRefundRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, refund: Refund) -> Refund:
        try:
            async with self._conn.begin_nested():
                result = await self._conn.execute(
                    insert(refunds).values(
                        subject=refund.subject,
                        order_id=refund.order_id,
                        user_id=refund.user_id,
                        method=refund.method.value,
                        amount=refund.amount.amount,
                        origin=refund.origin.value,
                        out_request_no=refund.out_request_no,
                        trade_no=refund.trade_no,
                        reason=refund.reason[:255],
                        created_at=to_db(refund.created_at),
                        **_decision(refund),
                    )
                )
        except IntegrityError as exc:
            raise AlreadyRefunding(subject=refund.subject) from exc
        refund.id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return refund

    async def _one(self, query: Select[Any]) -> Refund | None:
        row = (await self._conn.execute(query)).first()
        return _refund(row) if row else None

    async def get(self, refund_id: int) -> Refund | None:
        return await self._one(select(refunds).where(refunds.c.id == refund_id))

    async def of_subject(self, subject: str) -> Refund | None:
        return await self._one(select(refunds).where(refunds.c.subject == subject))

    async def save(self, refund: Refund, *, expected: RefundState) -> bool:
        result = await self._conn.execute(
            update(refunds)
            .where(refunds.c.id == refund.id, refunds.c.state == expected.value)
            .values(**_decision(refund))
        )
        return bool(result.rowcount == 1)

    async def due(self, limit: int) -> list[Refund]:
        query = (
            select(refunds)
            .where(refunds.c.state == RefundState.PENDING.value)
            .order_by(refunds.c.created_at, refunds.c.id)
            .limit(limit)
        )
        return [_refund(r) for r in await self._conn.execute(query)]

    async def count(self, *, state: RefundState | None) -> int:
        query = select(func.count()).select_from(refunds)
        if state is not None:
            query = query.where(refunds.c.state == state.value)
        return int((await self._conn.execute(query)).scalar_one())

    async def list(self, *, state: RefundState | None, offset: int, limit: int) -> list[Refund]:
        query = select(refunds)
        if state is not None:
            query = query.where(refunds.c.state == state.value)
        query = query.order_by(refunds.c.created_at.desc(), refunds.c.id.desc()).offset(offset).limit(limit)
        return [_refund(r) for r in await self._conn.execute(query)]
