"""Gateway payments and received notifications in memory (the same contract as the SQL adapter)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from jiadian.adapters.memory.ordering import ORDERS
from jiadian.adapters.memory.state import MemoryState
from jiadian.domain.ordering import Order
from jiadian.domain.payments import OPEN, Notification, Payment, PaymentState

PAYMENTS, NOTIFICATIONS = "payments", "payment_notifications"


class MemoryPaymentRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    @property
    def _payments(self) -> dict[int, Payment]:
        return self._s.table(PAYMENTS)

    def _user_of(self, payment: Payment) -> Payment:
        order: Order | None = self._s.table(ORDERS).get(payment.order_id)
        return replace(payment, user_id=order.user_id if order else 0)

    def _find(self, method: str, trade_no: str) -> Payment | None:
        return next(
            (p for p in self._payments.values() if p.method == method and p.trade_no == trade_no), None
        )

    async def start(self, payment: Payment) -> None:
        if self._find(payment.method, payment.trade_no) is None:
            new_id = self._s.next_id(PAYMENTS)
            self._payments[new_id] = replace(payment, id=new_id)

    async def get(self, method: str, trade_no: str) -> Payment | None:
        found = self._find(method, trade_no)
        return self._user_of(found) if found else None

    async def by_id(self, payment_id: int) -> Payment | None:
        found = self._payments.get(payment_id)
        return self._user_of(found) if found else None

    async def order_id_for_trade(self, trade_no: str) -> str | None:
        orders: dict[str, Order] = self._s.table(ORDERS)
        return next((o.id for o in orders.values() if o.trade_no == trade_no), None)

    async def settle(self, payment: Payment) -> bool:
        found = self._find(payment.method, payment.trade_no)
        if found is not None and found.state not in OPEN:
            return False
        payment_id = found.id if found is not None else self._s.next_id(PAYMENTS)
        created_at = found.created_at if found is not None else payment.created_at
        self._payments[payment_id] = replace(payment, id=payment_id, created_at=created_at)
        return True

    async def change_state(self, payment_id: int, *, expected: PaymentState, to: PaymentState) -> bool:
        found = self._payments.get(payment_id)
        if found is None or found.state is not expected:
            return False
        self._payments[payment_id] = replace(found, state=to)
        return True

    def _newest_first(self, state: PaymentState | None) -> list[Payment]:
        chosen = [p for p in self._payments.values() if state is None or p.state is state]
        return sorted(chosen, key=lambda p: (p.created_at, p.id), reverse=True)

    async def pending(self, method: str, limit: int) -> list[Payment]:
        oldest = reversed(self._newest_first(PaymentState.PENDING))
        return [self._user_of(p) for p in oldest if p.method == method][:limit]

    async def count(self, *, state: PaymentState | None) -> int:
        return len(self._newest_first(state))

    async def add_notification(self, notification: Notification) -> int:
        new_id = self._s.next_id(NOTIFICATIONS)
        self._s.table(NOTIFICATIONS)[new_id] = replace(
            notification, id=new_id, fields=dict(notification.fields)
        )
        return new_id

    async def notifications(self, *, trade_no: str | None, limit: int) -> list[Notification]:
        kept: dict[int, Notification] = self._s.table(NOTIFICATIONS)
        chosen = [n for n in kept.values() if trade_no is None or n.trade_no == trade_no]
        newest = sorted(chosen, key=lambda n: (n.received_at, n.id), reverse=True)
        return [replace(n, fields=dict(n.fields)) for n in newest[:limit]]

    async def delete_notifications(self, *, verdicts: Collection[str], before: datetime, limit: int) -> int:
        kept: dict[int, Notification] = self._s.table(NOTIFICATIONS)
        chosen = [i for i, n in kept.items() if n.verdict in verdicts and n.received_at < before][:limit]
        for i in chosen:
            del kept[i]
        return len(chosen)

    async def list(self, *, state: PaymentState | None, offset: int, limit: int) -> list[Payment]:
        return [self._user_of(p) for p in self._newest_first(state)[offset : offset + limit]]
