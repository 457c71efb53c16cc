"""The operator's and the worker's side of orders: ship, cancel, expire the unpaid, ship the due, and the sweeps."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from jiadian.application.audit import order_fields
from jiadian.application.ordering import SWEEP_BATCH, Effect, OrderUseCases, restock
from jiadian.application.pagination import Page
from jiadian.application.tasks import ExpireOrder, ShipOrder
from jiadian.application.unit_of_work import UnitOfWork
from jiadian.domain.audit import SYSTEM, Actor, target
from jiadian.domain.ordering import (
    CancelReason,
    IllegalTransition,
    Order,
    OrderStatus,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Fulfilment(OrderUseCases):
    """Shipping and expiry: by an operator, by background tasks (idempotent), and by the sweeps."""

    # Asked before an unpaid order is cancelled for expiry; False: not now (see `Payments.before_expiry`).
    before_expiry: Callable[[Order], Awaitable[bool]] | None = None

    async def list(self, status: str | None, user_id: int | None, page: int, page_size: int) -> Page[Order]:
        wanted = OrderStatus.parse(status) if status else None
        return await self._page(user_id, wanted, page, page_size)

    async def show(self, order_id: str) -> Order:
        async with self.uow() as uow:
            return await self._load(uow, order_id, None)

    async def ship(self, order_id: str, *, by: Actor = SYSTEM) -> Order:
        """The operator ships a paid order (409 unless it awaits shipment)."""
        now = self.clock.now()
        audit = _audited(by, "order.ship", OrderStatus.AWAITING_SHIPMENT)
        return await self._change(order_id, None, lambda o: o.ship(now), audit)

    async def cancel(self, order_id: str, *, by: Actor = SYSTEM) -> Order:
        """The operator cancels an unpaid order; the stock comes back."""
        audit = _audited(by, "order.cancel", OrderStatus.AWAITING_PAYMENT)
        return await self._cancel(order_id, None, CancelReason.OPERATOR, audit)

    async def expire(self, order_id: str) -> bool:
        """Cancel the order if it is still unpaid past its time; True when this call cancelled it.

        Idempotent: a redelivered message, or the sweep after the message, finds it cancelled already.
        """
        now = self.clock.now()
        async with self.uow() as uow:
            order = await uow.orders.get(order_id)
        if order is None or order.status is not OrderStatus.AWAITING_PAYMENT:
            return False
        if order.created_at + self.payment_window > now:
            return False  # not due (an early delivery): the sweep or a later message will do it
        if self.before_expiry is not None and not await self.before_expiry(order):
            return False  # paid at the gateway after all, or the gateway did not answer: a later sweep
        try:
            await self._change(order_id, None, lambda o: o.cancel(CancelReason.EXPIRED, now), restock)
        except IllegalTransition:  # paid or cancelled meanwhile
            return False
        return True

    async def ship_if_due(self, order_id: str) -> bool:
        """Ship a paid order once its delay has passed; True when this call shipped it. Idempotent."""
        now = self.clock.now()
        async with self.uow() as uow:
            order = await uow.orders.get(order_id)
        if order is None or order.status is not OrderStatus.AWAITING_SHIPMENT or order.paid_at is None:
            return False
        if order.paid_at + timedelta(seconds=self.ship_after_seconds) > now:
            return False
        try:
            await self._change(order_id, None, lambda o: o.ship(now))
        except IllegalTransition:  # shipped meanwhile (by the operator, or another delivery)
            return False
        return True

    async def expire_unpaid(self, limit: int = SWEEP_BATCH) -> int:
        """The sweep: expire every order unpaid past its time (catches lost messages). Returns how many."""
        due = self.clock.now() - self.payment_window
        async with self.uow() as uow:
            ids = await uow.orders.placed_before(OrderStatus.AWAITING_PAYMENT, due, limit)
        return sum([await self.expire(order_id) for order_id in ids])

    async def ship_due(self, limit: int = SWEEP_BATCH) -> int:
        """The sweep: ship every order paid longer ago than the delay. Returns how many."""
        due = self.clock.now() - timedelta(seconds=self.ship_after_seconds)
        async with self.uow() as uow:
            ids = await uow.orders.paid_before(OrderStatus.AWAITING_SHIPMENT, due, limit)
        return sum([await self.ship_if_due(order_id) for order_id in ids])

    # Task handlers (the worker calls these for the messages of `jiadian.application.tasks`).

    async def on_expire_order(self, task: ExpireOrder) -> None:
        await self.expire(task.order_id)

    async def on_ship_order(self, task: ShipOrder) -> None:
        await self.ship_if_due(task.order_id)


def _audited(by: Actor, action: str, moved_from: OrderStatus) -> Effect:
    """The operator's change of an order, written to the audit log in the change's transaction (it ran:
    the order was in `moved_from`)."""

    async def record(uow: UnitOfWork, order: Order) -> None:
        before = {"status": moved_from.value, "cancel_reason": ""}
        await uow.audit.record(by, action, target("order", order.id), before, order_fields(order))

    return record
