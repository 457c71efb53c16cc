"""Ports of payments: where gateway payments and notifications are kept, and the payment simulator."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from jiadian.domain.payments import Notification, Payment, PaymentState


class PaymentRepository(Protocol):
    """Gateway payments (at most one per method and trade number) and the notifications received.

    Inside a unit of work; `Payment.user_id` is read from the payment's order.
    """

    async def start(self, payment: Payment) -> None:
        """Remember that a trade was started (state `pending`); nothing when the trade has a row already."""
        ...

    async def get(self, method: str, trade_no: str) -> Payment | None: ...

    async def by_id(self, payment_id: int) -> Payment | None: ...

    async def order_id_for_trade(self, trade_no: str) -> str | None:
        """The id of the order with this trade number, or None when it is not one of ours."""
        ...

    async def settle(self, payment: Payment) -> bool:
        """Write a received payment (`applied` or `needs_refund`) over the trade's open row, or add it.

        False — and nothing written — when the trade already has a settled payment (a row whose state is
        neither `pending` nor `closed`). Safe under concurrent callers: one of them wins.
        """
        ...

    async def change_state(self, payment_id: int, *, expected: PaymentState, to: PaymentState) -> bool:
        """Move a payment from `expected` to `to`; False when it is not in `expected` (any more)."""
        ...

    async def pending(self, method: str, limit: int) -> list[Payment]:
        """Started trades still `pending`, oldest first (what reconciliation asks the gateway about)."""
        ...

    async def count(self, *, state: PaymentState | None) -> int: ...

    async def add_notification(self, notification: Notification) -> int:
        """Keep one received callback (raw fields and verdict); returns its id.

        Adapters may shorten oversized fields to fit their storage; they never refuse one.
        """
        ...

    async def notifications(self, *, trade_no: str | None, limit: int) -> list[Notification]:
        """The newest first, optionally of one trade number."""
        ...

    async def delete_notifications(self, *, verdicts: Collection[str], before: datetime, limit: int) -> int:
        """Delete up to `limit` notifications with one of `verdicts` received before `before`; the count."""
        ...

    async def list(self, *, state: PaymentState | None, offset: int, limit: int) -> list[Payment]:
        """Newest first."""
        ...


class PaymentSimulator(Protocol):
    """The payment simulator's operator action (the embedded default's stand-in for Alipay)."""

    def pay(self, trade_no: str, amount: Decimal) -> Mapping[str, str]:
        """The buyer "paid" `amount` for `trade_no`: the signed notification the gateway would send."""
        ...
