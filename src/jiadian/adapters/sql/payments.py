"""Gateway payments and the notifications received, on SQL (tables `payments`, `payment_notifications`)."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Row, Select, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from jiadian.adapters.sql.engine import from_db, to_db
from jiadian.adapters.sql.tables import orders, payment_notifications, payments
from jiadian.domain.money import Money
from jiadian.domain.payments import OPEN, Notification, Payment, PaymentState

# `payment_notifications.fields` is TEXT: 65,535 bytes on MySQL/MariaDB. Keep well under it.
MAX_FIELDS_BYTES: Final = 60_000
MAX_VALUE_CHARS: Final = 4_000
_TRADE_NO_CHARS: Final = 64


def fields_json(fields: dict[str, str]) -> str:
    """The raw fields as JSON, shortened to fit the column (a forged callback can be any size).

    Long values are cut; fields past the limit are left out and counted under "_truncated".
    """
    kept: dict[str, str] = {}
    size = 2
    for key, value in fields.items():
        key, value = key[:200], value[:MAX_VALUE_CHARS]
        item = len(json.dumps({key: value}, ensure_ascii=False).encode("utf-8"))
        if size + item > MAX_FIELDS_BYTES - 100:
            kept["_truncated"] = f"{len(fields) - len(kept)} fields left out"
            break
        kept[key] = value
        size += item
    return json.dumps(kept, ensure_ascii=False, sort_keys=True)


def _payment(row: Row[Any]) -> Payment:
    return Payment(
        id=row.id,
        order_id=row.order_id,
        user_id=int(row.user_id or 0),
        method=row.method,
        trade_no=row.trade_no,
        gateway_trade_no=row.gateway_trade_no,
        amount=Money.of(row.amount),
        state=PaymentState(row.state),
        created_at=from_db(row.created_at),
    )


def _with_user() -> Select[Any]:
    return select(payments, orders.c.user_id).join_from(
        payments, orders, orders.c.id == payments.c.order_id, isouter=True
    )


class SqlPaymentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def start(self, payment: Payment) -> None:
        if await self.get(payment.method, payment.trade_no) is not None:
            return
        try:
            async with self._conn.begin_nested():
                await self._insert(payment)
        except IntegrityError:  # a concurrent start of the same trade: one row is enough
            return

    async def _insert(self, payment: Payment) -> None:
        await self._conn.execute(
            insert(payments).values(
                order_id=payment.order_id,
                method=payment.method,
                trade_no=payment.trade_no,
                gateway_trade_no=payment.gateway_trade_no[:64],
                amount=payment.amount.amount,
                state=payment.state.value,
                created_at=to_db(payment.created_at),
            )
        )

    async def _one(self, query: Select[Any]) -> Payment | None:
        row = (await self._conn.execute(query)).first()
        return _payment(row) if row else None

    async def get(self, method: str, trade_no: str) -> Payment | None:
        return await self._one(
            _with_user().where(payments.c.method == method, payments.c.trade_no == trade_no)
        )

    async def by_id(self, payment_id: int) -> Payment | None:
        return await self._one(_with_user().where(payments.c.id == payment_id))

    async def order_id_for_trade(self, trade_no: str) -> str | None:
        row = (await self._conn.execute(select(orders.c.id).where(orders.c.trade_no == trade_no))).first()
        return str(row.id) if row else None

    async def settle(self, payment: Payment) -> bool:
        # One conditional UPDATE over the open row (concurrent callers queue on its lock: one wins) ...
        result = await self._conn.execute(
            update(payments)
            .where(
                payments.c.method == payment.method,
                payments.c.trade_no == payment.trade_no,
                payments.c.state.in_([state.value for state in OPEN]),
            )
            .values(
                state=payment.state.value,
                gateway_trade_no=payment.gateway_trade_no[:64],
                amount=payment.amount.amount,
            )
        )
        if result.rowcount == 1:
            return True
        # ... or, when the trade has no row at all, an INSERT (the unique (method, trade_no) decides).
        try:
            async with self._conn.begin_nested():
                await self._insert(payment)
        except IntegrityError:
            return False
        return True

    async def change_state(self, payment_id: int, *, expected: PaymentState, to: PaymentState) -> bool:
        result = await self._conn.execute(
            update(payments)
            .where(payments.c.id == payment_id, payments.c.state == expected.value)
            .values(state=to.value)
        )
        return bool(result.rowcount == 1)

    async def pending(self, method: str, limit: int) -> list[Payment]:
        query = (
            _with_user()
            .where(payments.c.method == method, payments.c.state == PaymentState.PENDING.value)
            .order_by(payments.c.created_at, payments.c.id)
            .limit(limit)
        )
        return [_payment(r) for r in await self._conn.execute(query)]

    async def count(self, *, state: PaymentState | None) -> int:
        query = select(func.count()).select_from(payments)
        if state is not None:
            query = query.where(payments.c.state == state.value)
        return int((await self._conn.execute(query)).scalar_one())

    async def add_notification(self, notification: Notification) -> int:
        result = await self._conn.execute(
            insert(payment_notifications).values(
                gateway=notification.gateway[:16],
                trade_no=notification.trade_no[:_TRADE_NO_CHARS],
                fields=fields_json(notification.fields),
                verdict=notification.verdict[:32],
                received_at=to_db(notification.received_at),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def notifications(self, *, trade_no: str | None, limit: int) -> list[Notification]:
        query = select(payment_notifications)
        if trade_no is not None:
            query = query.where(payment_notifications.c.trade_no == trade_no)
        query = query.order_by(payment_notifications.c.received_at.desc(), payment_notifications.c.id.desc())
        rows = await self._conn.execute(query.limit(limit))
        return [
            Notification(
                gateway=r.gateway,
                trade_no=r.trade_no,
                fields=json.loads(r.fields),
                verdict=r.verdict,
                received_at=from_db(r.received_at),
                id=r.id,
            )
            for r in rows
        ]

    async def delete_notifications(self, *, verdicts: Collection[str], before: datetime, limit: int) -> int:
        n = payment_notifications.c
        ids = select(n.id).where(n.verdict.in_(list(verdicts)), n.received_at < to_db(before)).limit(limit)
        chosen = [row.id for row in await self._conn.execute(ids)]  # MySQL: no LIMIT in a subquery of IN
        if not chosen:
            return 0
        result = await self._conn.execute(delete(payment_notifications).where(n.id.in_(chosen)))
        return int(result.rowcount)

    async def list(self, *, state: PaymentState | None, offset: int, limit: int) -> list[Payment]:
        query = _with_user()
        if state is not None:
            query = query.where(payments.c.state == state.value)
        query = query.order_by(payments.c.created_at.desc(), payments.c.id.desc()).offset(offset).limit(limit)
        return [_payment(r) for r in await self._conn.execute(query)]
